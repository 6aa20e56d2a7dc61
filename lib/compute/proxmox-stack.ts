import { Construct, IConstruct } from 'constructs';
import { credentialInText, isCredentialName } from '../core/credentials';
import { Homelab } from '../core/homelab';
import { Secret, SecretSource } from '../core/secret';
import { Annotations, displayPath, problem } from '../core/validation';
import { User } from '../hosts/user';
import { ProxmoxCluster } from './proxmox-cluster';
import { ProxmoxHost } from './proxmox-host';
import type { ProxmoxVm } from './proxmox-vm';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex } from '../core/kind';

/** The environment variable the bpg/proxmox provider reads its API token from. */
export const PROXMOX_API_TOKEN_VARIABLE = 'PROXMOX_VE_API_TOKEN';

/** Where Terraform keeps a stack's state. Construct with one of the static factories. */
export class StateBackend {
  /**
   * A local state file. A relative path is resolved from the stack's folder
   * (`cdktf.out/stacks/<stack>` or `dist/terraform/<stack>`, both three levels below the project).
   */
  public static local(path: string): StateBackend {
    return new StateBackend('local', { path });
  }

  /**
   * Any Terraform backend by type and settings (`s3`, `http`, `pg`, …), written as they are.
   * Credentials belong in the backend's environment variables, never here: settings named like
   * one (`secret_key`, `access_key`, `password`, `token`) and URLs with a password are refused.
   */
  public static custom(type: string, config: Record<string, string | number | boolean>): StateBackend {
    return new StateBackend(type, { ...config });
  }

  private constructor(
    /** The Terraform backend type. */
    public readonly type: string,
    /** Its settings. */
    public readonly config: Readonly<Record<string, string | number | boolean>>,
  ) {}
}

/** Props of {@link ProxmoxStack}. */
export interface ProxmoxStackProps {
  /**
   * The Proxmox host whose API the provider talks to (`https://<ip>:8006`), or a
   * ProxmoxCluster (its `apiHost`). The stack plans the VMs of that host, or of every member of
   * that cluster, and no others: another host's API cannot create them.
   * @default - the lab's first Proxmox host by name
   */
  readonly endpoint?: ProxmoxHost | ProxmoxCluster;
  /**
   * Skip the TLS certificate check of the API.
   * @default true (Proxmox VE serves a self-signed certificate until you install one)
   */
  readonly insecure?: boolean;
  /**
   * The API token (`user@realm!tokenid=secret`): the provider's environment variable
   * PROXMOX_VE_API_TOKEN, or a sensitive Terraform variable. Never a value.
   * @default Secret.fromEnvironment('PROXMOX_VE_API_TOKEN')
   */
  readonly apiToken?: Secret;
  /**
   * Where Terraform keeps the state.
   * @default - StateBackend.local('../../../terraform.<stack>.tfstate'): the project's root, as
   *   cdktf's own default, but as a relative path so the output stays the same on every machine
   */
  readonly backend?: StateBackend;
  /**
   * The account the provider logs in with over SSH (uploads such as cloud-init snippets need
   * it), through the SSH agent; `false` for none.
   * @default - the lab's first user with sudo
   */
  readonly sshUser?: User | false;
}

/** A raw change to the synthesized Terraform JSON (cdktf's `addOverride`). */
export interface TerraformOverride {
  /** The dotted path (`terraform.required_version`, `cpu.flags`). */
  readonly path: string;
  /** The value. */
  readonly value: unknown;
}

/** What the Terraform projection reads of a stack; a ProxmoxStack is one. */
export interface StackSettings {
  /** The stack name. */
  readonly stackName: string;
  /** The Proxmox host whose API the provider talks to. */
  readonly endpoint: ProxmoxHost | undefined;
  /** Skip the API's certificate check. */
  readonly insecure: boolean;
  /** The API token reference. */
  readonly apiToken: Secret;
  /** Where the state lives. */
  readonly backend: StateBackend;
  /** The provider's SSH account. */
  readonly sshUser: User | undefined;
  /** Raw overrides of the stack's JSON. */
  readonly terraformOverrides: readonly TerraformOverride[];
}

/** The VMs of one stack. */
export interface StackPlan {
  /** The stack's settings. */
  readonly settings: StackSettings;
  /** Its VMs, sorted by vmid. */
  readonly vms: readonly ProxmoxVm[];
}

const PROXMOX_STACK = Kind.named<ProxmoxStack>('ProxmoxStack');

/** cdktf stack names: no whitespace, no glob characters; ours are also plain path segments. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * A Terraform stack of VMs (prod, dev, staging): which Proxmox API it talks to, how it
 * authenticates and where its state lives. The Terraform projection synthesizes one cdktf stack
 * for each (`cdktf.out/stacks/<name>`, `dist/terraform/<name>`). A lab without any gets one
 * named after the lab, with the defaults.
 */
export class ProxmoxStack extends Construct implements StackSettings {
  /** Is `x` a ProxmoxStack (of any copy of this library)? */
  public static isProxmoxStack(x: unknown): x is ProxmoxStack {
    return PROXMOX_STACK.is(x);
  }

  /** The stacks of a lab, sorted by name. */
  public static all(lab: IConstruct): ProxmoxStack[] {
    return [...PROXMOX_STACK.under(lab)].sort(byText((x) => x.stackName));
  }

  /** The stack name (the construct id). */
  public readonly stackName: string;
  /** Whether the provider skips the certificate check. */
  public readonly insecure: boolean;
  /** The API token reference. */
  public readonly apiToken: Secret;

  private readonly explicitEndpoint?: ProxmoxHost | ProxmoxCluster;
  private readonly explicitBackend?: StateBackend;
  private readonly explicitSshUser?: User | false;
  private readonly overrides: TerraformOverride[] = [];

  public constructor(scope: Homelab, id: string, props: ProxmoxStackProps = {}) {
    super(scope, claimId(scope, id));
    checkProps(this, 'ProxmoxStackProps', props);
    PROXMOX_STACK.mark(this);
    this.stackName = id;
    this.insecure = props.insecure ?? true;
    this.apiToken = props.apiToken ?? Secret.fromEnvironment(PROXMOX_API_TOKEN_VARIABLE);
    this.explicitEndpoint = props.endpoint;
    this.explicitBackend = props.backend;
    this.explicitSshUser = props.sshUser;
    this.node.addValidation({ validate: () => this.validateStack() });
  }

  /** The Proxmox host whose API the stack talks to, if the lab has one. */
  public get endpoint(): ProxmoxHost | undefined {
    const explicit = this.explicitEndpoint;
    if (ProxmoxCluster.isProxmoxCluster(explicit)) {
      return explicit.apiHost;
    }
    return explicit ?? ProxmoxHost.all(this.node.root)[0];
  }

  /** Where the state lives. */
  public get backend(): StateBackend {
    return this.explicitBackend ?? StateBackend.local(defaultStatePath(this.stackName));
  }

  /** The SSH account of the provider, if any. */
  public get sshUser(): User | undefined {
    if (this.explicitSshUser === false) {
      return undefined;
    }
    return this.explicitSshUser ?? firstSudoUser(Homelab.of(this));
  }

  /**
   * Escape hatch: a raw change to the stack's Terraform JSON, applied with cdktf's
   * `TerraformStack.addOverride` (`addTerraformOverride('terraform.required_version', '>= 1.5')`).
   */
  public addTerraformOverride(path: string, value: unknown): void {
    this.overrides.push({ path, value });
  }

  /** Overrides added with {@link addTerraformOverride}. */
  public get terraformOverrides(): readonly TerraformOverride[] {
    return this.overrides;
  }

  private validateStack(): string[] {
    const errors: string[] = [];
    if (!STACK_NAME.test(this.stackName)) {
      errors.push(problem(`stack name "${this.stackName}" is not a plain name`, 'use letters, digits, "-" and "_", such as "prod"'));
    }
    const endpoint = this.endpoint;
    if (!endpoint) {
      errors.push(problem('the stack has no Proxmox host to talk to', 'declare a ProxmoxHost on one of the lab\'s hosts'));
    } else if (endpoint.node.root !== this.node.root) {
      errors.push(problem(`endpoint ${displayPath(endpoint)} belongs to another lab`, 'use a Proxmox host of this lab'));
    }
    errors.push(...apiTokenProblems(this.apiToken));
    const backend = this.backend;
    if (!/^[a-z][a-z0-9_]*$/.test(backend.type)) {
      errors.push(problem(`backend type "${backend.type}" is not a Terraform backend name`, 'use a type such as "local", "s3" or "http"'));
    }
    errors.push(...backendCredentialProblems(backend));
    const statePath = backend.type === 'local' ? backend.config.path : undefined;
    if (typeof statePath === 'string' && statePath.startsWith('/')) {
      Annotations.of(this).addWarning(
        problem(`the state path ${statePath} is absolute, so the synthesized JSON differs between machines`, 'use a path relative to the stack folder, such as "../../../terraform.prod.tfstate"'),
        'homelab-cdk:absolute-state-path',
      );
    }
    const sameState = STACKS_BY_STATE.of(this);
    const first = sameState.get(stateKey(this))?.[0];
    if (first && first !== this) {
      errors.push(problem(`the stack keeps its state where ${displayPath(first)} does`, 'give each stack its own state path (or leave backend out)'));
    }
    const user = this.explicitSshUser;
    if (user && Homelab.of(user) !== Homelab.of(this)) {
      errors.push(problem(`sshUser ${user.userName} belongs to another lab`, 'use a user of this lab'));
    }
    return errors;
  }
}

/** The lab's first user with sudo: the provider's SSH account unless a stack names one. */
export function firstSudoUser(lab: IConstruct): User | undefined {
  return User.all(lab).find((u) => u.sudo);
}

/** The default relative state path of a stack: the project root, seen from the stack's folder. */
export function defaultStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

/** Problems of an API token reference: only the provider's variable or a Terraform variable work. */
export function apiTokenProblems(token: unknown): string[] {
  const nonSecret = Secret.describeNonSecret(token);
  if (nonSecret) {
    return [problem(`apiToken is ${nonSecret}, not a secret reference`, `use Secret.fromEnvironment('${PROXMOX_API_TOKEN_VARIABLE}') or Secret.fromTerraformVariable('proxmox_api_token')`)];
  }
  const secret = token as Secret;
  if (secret.source === SecretSource.ENVIRONMENT && secret.reference !== PROXMOX_API_TOKEN_VARIABLE) {
    return [problem(`the provider reads its API token from ${PROXMOX_API_TOKEN_VARIABLE}, not from ${secret.reference}`, `use Secret.fromEnvironment('${PROXMOX_API_TOKEN_VARIABLE}'), or a Terraform variable`)];
  }
  if (secret.source !== SecretSource.ENVIRONMENT && secret.source !== SecretSource.TERRAFORM_VARIABLE) {
    return [problem(`an API token from a ${secret.source} secret cannot reach Terraform`, `use Secret.fromEnvironment('${PROXMOX_API_TOKEN_VARIABLE}') or Secret.fromTerraformVariable('proxmox_api_token')`)];
  }
  return [];
}

/**
 * Credentials in a backend's settings: they would be written into the stack's JSON. Terraform
 * takes them from the backend's environment variables or from `terraform init -backend-config`.
 */
function backendCredentialProblems(backend: StateBackend): string[] {
  const errors: string[] = [];
  const fix = `leave it out of StateBackend.custom and give it to Terraform at init time: the ${backend.type} backend's environment variable (for s3 AWS_SECRET_ACCESS_KEY and AWS_ACCESS_KEY_ID, for http TF_HTTP_PASSWORD, for pg PG_CONN_STR) or terraform init -backend-config=<file kept outside the output>`;
  for (const key of Object.keys(backend.config).sort()) {
    const value = backend.config[key];
    if (typeof value === 'boolean') {
      continue;
    }
    const name = /^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : 'a setting';
    if (isCredentialName(key) && String(value) !== '') {
      errors.push(problem(`the ${backend.type} backend's ${name} is a credential, which would be written into the stack's Terraform JSON`, fix));
    } else if (typeof value === 'string' && credentialInText(value) !== undefined) {
      errors.push(problem(`the ${backend.type} backend's ${name} carries ${credentialInText(value)}, which would be written into the stack's Terraform JSON`, fix));
    }
  }
  return errors;
}

function stateKey(stack: ProxmoxStack): string {
  const b = stack.backend;
  return `${b.type}:${JSON.stringify(Object.entries(b.config).sort())}`;
}

function stacksByState(root: IConstruct): Map<string, ProxmoxStack[]> {
  const index = new Map<string, ProxmoxStack[]>();
  for (const stack of PROXMOX_STACK.all(root)) {
    const key = stateKey(stack);
    const list = index.get(key);
    if (list) list.push(stack);
    else index.set(key, [stack]);
  }
  return index;
}

/** Every stack of the lab by where it keeps its state, once per validation run. */
const STACKS_BY_STATE = runIndex((root) => stacksByState(root));
