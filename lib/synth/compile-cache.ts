/**
 * Node 22.1 and later keep V8's compiled code of the modules a process loads in a cache on disk
 * (`module.enableCompileCache()`, in the OS's temp folder unless NODE_COMPILE_CACHE says where):
 * the CLI's cold start is mostly compiling its own, cdktf's and cdk8s's JavaScript (issue 17), so
 * the CLI turns it on before it loads anything. Imported first by bin/homelab.ts for that; on
 * Node 20, which has no such cache, it does nothing.
 */
import Module = require('node:module');

(Module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
