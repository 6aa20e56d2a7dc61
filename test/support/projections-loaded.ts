/**
 * Loads the three projections' modules before each test file, as an app that imports the whole
 * library would. `homelab synth` loads a projection lazily with a literal `require` of its
 * module on first use (lib/synth/projections.ts), which Node's loader cannot do with a .ts file
 * under the test runner; a module loaded here registers its renderer itself, so the lazy require
 * is never needed. test/synth/lazy-projections.test.ts checks the lazy path in a fresh process.
 */
import '../../lib/nix/nix-projection';
import '../../lib/terraform/terraform-projection';
import '../../lib/k8s/kubernetes-app';
