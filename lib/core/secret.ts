/**
 * Secrets are references, never values: the model says where a secret comes from and each
 * projection writes only that reference (a file path, a sops-nix secret, an environment
 * variable, a sensitive Terraform variable). No secret value ever reaches any output.
 */
import { isSafeName } from './names';
import { addValueProblem } from './problems';
import { problem } from './validation';
import { Kind } from './kind';

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
   * The encrypted file, relative to the project's folder (where `homelab secrets init` writes it)
   * and to the flake's root (`homelab synth` copies it to the same path in `dist/nix`), as
   * sops-nix's `sopsFile` takes it. One file per secret is the default because sops encrypts a
   * whole file for the same recipients: a file per secret lets `.sops.yaml` give each host exactly
   * the secrets its configuration reads.
   * @default - "secrets/<name>.yaml"
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

const SECRET = Kind.named<Secret>('Secret');

/** A reference to a secret value. Construct it with one of the static factories. */
export class Secret {
  /** Is `x` a Secret (from any copy of this library)? */
  public static isSecret(x: unknown): x is Secret {
    return SECRET.is(x);
  }

  /** A file that the user places on the host, read at run time (e.g. `/var/lib/secrets/k3s-token`). */
  public static fromFile(path: string): Secret {
    if (typeof path !== 'string' || !/^\/[A-Za-z0-9._/@+-]+$/.test(path) || path.split('/').some((s) => s === '..' || s === '.')) {
      return Secret.invalid(SecretSource.FILE, 'Secret.fromFile was given something that is not an absolute path of plain segments', "give the file's path on the host, such as Secret.fromFile('/var/lib/secrets/k3s-token') (letters, digits, \".\", \"_\", \"-\"; no \"..\", no spaces)");
    }
    return new Secret(SecretSource.FILE, path);
  }

  /** A secret decrypted on the host by sops-nix. */
  public static fromSops(props: SopsSecretProps): Secret {
    if (typeof props?.name !== 'string' || !isSafeName(props.name)) {
      return Secret.invalid(SecretSource.SOPS, 'Secret.fromSops was given a name that is not a plain name', "give the secret's key in the sops file, such as Secret.fromSops({ name: 'k3s-token' }) (letters, digits, \".\", \"_\", \"-\")");
    }
    const sopsFile = props.sopsFile ?? `secrets/${props.name}.yaml`;
    if (typeof sopsFile !== 'string' || !/^[A-Za-z0-9._/-]+$/.test(sopsFile) || sopsFile.startsWith('/') || sopsFile.split('/').includes('..')) {
      return Secret.invalid(SecretSource.SOPS, `the sopsFile of sops secret ${props.name} is not a relative path inside the flake`, 'give a path relative to the flake, such as "secrets/secrets.yaml" (no "..", no leading "/")', props.owner);
    }
    if (props.mode !== undefined && (typeof props.mode !== 'string' || !/^0?[0-7]{3}$/.test(props.mode))) {
      return Secret.invalid(SecretSource.SOPS, `the mode of sops secret ${props.name} is not an octal file mode`, 'give a mode such as "0400"', props.owner);
    }
    return new Secret(SecretSource.SOPS, props.name, {
      sopsFile,
      owner: props.owner ?? 'root',
      mode: props.mode ?? '0400',
    });
  }

  /** An environment variable of the deploying process (e.g. `PROXMOX_VE_API_TOKEN`). */
  public static fromEnvironment(variable: string): Secret {
    if (typeof variable !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(variable)) {
      return Secret.invalid(SecretSource.ENVIRONMENT, 'Secret.fromEnvironment was given something that is not an environment variable name', "give the variable's name, not its value: upper-case letters, digits and \"_\", such as Secret.fromEnvironment('PROXMOX_VE_API_TOKEN')");
    }
    return new Secret(SecretSource.ENVIRONMENT, variable);
  }

  /** A sensitive Terraform input variable, set with `TF_VAR_<name>` or a `.tfvars` file. */
  public static fromTerraformVariable(name: string): Secret {
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
      return Secret.invalid(SecretSource.TERRAFORM_VARIABLE, 'Secret.fromTerraformVariable was given something that is not a Terraform variable name', "give the variable's name, not its value: a letter or \"_\", then letters, digits, \"_\" and \"-\", such as Secret.fromTerraformVariable('proxmox_api_token')");
    }
    return new Secret(SecretSource.TERRAFORM_VARIABLE, name);
  }

  /**
   * A Secret that a factory could not make: it refers to nothing, and whichever construct holds
   * it reports `what` and `fix` on its path. The message never repeats the value given: a
   * mistaken call often holds the secret itself (a token where its variable's name belongs).
   */
  private static invalid(source: SecretSource, what: string, fix: string, owner?: string): Secret {
    // sops details as a valid secret would have them, so that no other check trips over their absence.
    const secret = new Secret(source, '<invalid>', source === SecretSource.SOPS ? { sopsFile: 'secrets/secrets.yaml', owner: owner ?? 'root', mode: '0400' } : undefined);
    return addValueProblem(secret, (field) => problem(`${field}: ${what} (the value is not shown: it may be the secret itself)`, fix));
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
    SECRET.mark(this);
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
