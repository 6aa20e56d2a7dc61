/**
 * Secrets are references, never values: the model says where a secret comes from and each
 * projection writes only that reference (a file path, a sops-nix secret, an environment
 * variable, a sensitive Terraform variable). No secret value ever reaches any output.
 */
import { isSafeName } from './names';

/** Where a secret's value lives. */
export enum SecretSource {
  /** A file the user places on the host at an absolute path. */
  FILE = 'file',
  /** A sops-encrypted file decrypted on the host by sops-nix (to `/run/secrets/<name>`). */
  SOPS = 'sops',
  /** An environment variable of the process that deploys (Terraform, the CLI). */
  ENVIRONMENT = 'environment',
  /** A sensitive Terraform input variable. */
  TERRAFORM_VARIABLE = 'terraform-variable',
}

/** Props of {@link Secret.fromSops}. */
export interface SopsSecretProps {
  /** The secret's name: its key in the sops file and its file name under `/run/secrets/`. */
  readonly name: string;
  /**
   * The encrypted file, relative to the flake's root (the synthesized `dist/nix`), as sops-nix's
   * `sopsFile` takes it.
   * @default "secrets/secrets.yaml"
   */
  readonly sopsFile?: string;
  /**
   * The user that owns the decrypted file.
   * @default "root"
   */
  readonly owner?: string;
  /**
   * Octal file mode of the decrypted file.
   * @default "0400"
   */
  readonly mode?: string;
}

/** Where and how sops-nix decrypts a {@link SecretSource.SOPS} secret, defaults applied. */
export interface SopsSecretDetails {
  /** The encrypted file, relative to the flake's root. */
  readonly sopsFile: string;
  /** The user that owns the decrypted file. */
  readonly owner: string;
  /** Octal file mode of the decrypted file (`0400`). */
  readonly mode: string;
}

const SECRET = Symbol.for('homelab-cdk.Secret');

/** A reference to a secret value. Construct it with one of the static factories. */
export class Secret {
  /** Is `x` a Secret (from any copy of this library)? */
  public static isSecret(x: unknown): x is Secret {
    return typeof x === 'object' && x !== null && SECRET in x;
  }

  /** A file that the user places on the host, read at run time (e.g. `/var/lib/secrets/k3s-token`). */
  public static fromFile(path: string): Secret {
    if (!/^\/[A-Za-z0-9._/@+-]+$/.test(path) || path.split('/').some((s) => s === '..' || s === '.')) {
      throw new Error(`secret file "${path}" must be an absolute path of plain segments (no "..", no spaces)`);
    }
    return new Secret(SecretSource.FILE, path);
  }

  /** A secret decrypted on the host by sops-nix. */
  public static fromSops(props: SopsSecretProps): Secret {
    if (!isSafeName(props.name)) {
      throw new Error(`sops secret name "${props.name}" must be a plain name (letters, digits, ".", "_", "-")`);
    }
    const sopsFile = props.sopsFile ?? 'secrets/secrets.yaml';
    if (!/^[A-Za-z0-9._/-]+$/.test(sopsFile) || sopsFile.startsWith('/') || sopsFile.split('/').includes('..')) {
      throw new Error(`sopsFile "${sopsFile}" must be a relative path inside the flake (no "..")`);
    }
    if (props.mode !== undefined && !/^0?[0-7]{3}$/.test(props.mode)) {
      throw new Error(`sops secret mode "${props.mode}" must be an octal mode such as "0400"`);
    }
    return new Secret(SecretSource.SOPS, props.name, {
      sopsFile,
      owner: props.owner ?? 'root',
      mode: props.mode ?? '0400',
    });
  }

  /** An environment variable of the deploying process (e.g. `PROXMOX_VE_API_TOKEN`). */
  public static fromEnvironment(variable: string): Secret {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(variable)) {
      throw new Error(`environment variable name "${variable}" must be upper case letters, digits and "_"`);
    }
    return new Secret(SecretSource.ENVIRONMENT, variable);
  }

  /** A sensitive Terraform input variable, set with `TF_VAR_<name>` or a `.tfvars` file. */
  public static fromTerraformVariable(name: string): Secret {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
      throw new Error(`Terraform variable name "${name}" must start with a letter or "_"`);
    }
    return new Secret(SecretSource.TERRAFORM_VARIABLE, name);
  }

  /**
   * A description of a value given where a Secret was expected (a literal token, say), or
   * undefined when it is a Secret. For the validations of constructs that take secrets.
   */
  public static describeNonSecret(value: unknown): string | undefined {
    if (Secret.isSecret(value)) {
      return undefined;
    }
    return typeof value === 'string' ? 'a literal string' : `a ${value === null ? 'null' : typeof value}`;
  }

  private constructor(
    /** Where the value lives. */
    public readonly source: SecretSource,
    /** The path, secret name or variable name, by source. */
    public readonly reference: string,
    /** sops-nix details, for {@link SecretSource.SOPS}. */
    public readonly sops?: SopsSecretDetails,
  ) {
    Object.defineProperty(this, SECRET, { value: true });
  }

  /** The path where the secret is readable on a NixOS host, for file and sops secrets. */
  public get hostPath(): string | undefined {
    switch (this.source) {
      case SecretSource.FILE:
        return this.reference;
      case SecretSource.SOPS:
        return `/run/secrets/${this.reference}`;
      default:
        return undefined;
    }
  }

  /** A short description for messages and summaries (never the value: there is none here). */
  public toString(): string {
    return `${this.source}:${this.reference}`;
  }
}
