import { Construct, IConstruct } from 'constructs';
import { Homelab } from '../core/homelab';
import { isPackageName, isUserName } from '../core/names';
import { Secret } from '../core/secret';
import { Annotations, problem } from '../core/validation';
import { parseSshPublicKey } from './ssh-public-key';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex } from '../core/kind';

/** A user's login shell. */
export enum LoginShell {
  /** Bash, NixOS's default shell. */
  BASH = 'bash',
  /** Zsh (`programs.zsh` is enabled on the host). */
  ZSH = 'zsh',
  /** fish (`programs.fish` is enabled on the host). */
  FISH = 'fish',
}

/** A user's Git identity, as home-manager's `programs.git` takes it. */
export interface GitIdentity {
  /** The name on the user's commits (`Max Mustermann`). */
  readonly userName: string;
  /** The e-mail address on the user's commits. */
  readonly userEmail: string;
}

/** A user's home-manager profile (`home/<user>.nix`). */
export interface HomeProfileProps {
  /**
   * Packages installed for the user only (nixpkgs attribute names).
   * @default []
   */
  readonly packages?: string[];
  /**
   * Git identity; enables `programs.git`.
   * @default - git is not configured
   */
  readonly git?: GitIdentity;
  /**
   * Shell aliases.
   * @default {}
   */
  readonly shellAliases?: Record<string, string>;
  /**
   * The home-manager state version.
   * @default - the lab's NixOS release
   */
  readonly stateVersion?: string;
}

/** Props of {@link User}. */
export interface UserProps {
  /**
   * The login name.
   * @default - the construct id
   */
  readonly userName?: string;
  /**
   * The person's name (GECOS field).
   * @default - none
   */
  readonly description?: string;
  /**
   * SSH public keys (authorized_keys lines). With the lab's key-only SSH, a user without keys
   * cannot log in over the network.
   * @default []
   */
  readonly sshKeys?: string[];
  /**
   * Supplementary groups.
   * @default []
   */
  readonly groups?: string[];
  /**
   * May use sudo (member of `wheel`). Without {@link hashedPasswordFile} the user has no
   * password, so the user gets passwordless sudo.
   * @default false
   */
  readonly sudo?: boolean;
  /**
   * A file holding the user's hashed password (`mkpasswd -m sha-512`), on the host or from
   * sops-nix. Never the password itself.
   * @default - no password: key-only login
   */
  readonly hashedPasswordFile?: Secret;
  /**
   * Login shell.
   * @default LoginShell.BASH
   */
  readonly shell?: LoginShell;
  /**
   * A home-manager profile for the user.
   * @default - none
   */
  readonly home?: HomeProfileProps;
}

const USER = Kind.named<User>('User');

/**
 * A person's account, declared once in the lab and given to the hosts that list it (by default
 * every host).
 */
export class User extends Construct {
  /** Is `x` a User (of any copy of this library)? */
  public static isUser(x: unknown): x is User {
    return USER.is(x);
  }

  /** The users of a lab (declared at its root), in declaration order. */
  public static all(scope: IConstruct): User[] {
    // Every host asks: the list is made once per validation run and synthesis.
    return [...LAB_USERS.of(scope)];
  }

  /** The login name. */
  public readonly userName: string;
  /** GECOS description. */
  public readonly description?: string;
  /** Authorized SSH public keys, trimmed. */
  public readonly sshKeys: readonly string[];
  /** Supplementary groups (with `wheel` when the user may sudo). */
  public readonly groups: readonly string[];
  /** May use sudo. */
  public readonly sudo: boolean;
  /** Hashed password file reference. */
  public readonly hashedPasswordFile?: Secret;
  /** Login shell. */
  public readonly shell: LoginShell;
  /** home-manager profile, if any. */
  public readonly home?: HomeProfileProps;

  public constructor(scope: Homelab, id: string, props: UserProps = {}) {
    super(scope, claimId(scope, id));
    checkProps(this, 'UserProps', props);
    USER.mark(this);
    this.userName = props.userName ?? id;
    this.description = props.description;
    this.sshKeys = (props.sshKeys ?? []).map((k) => k.trim());
    this.sudo = props.sudo ?? false;
    const groups = [...(props.groups ?? [])];
    if (this.sudo && !groups.includes('wheel')) {
      groups.unshift('wheel');
    }
    this.groups = groups;
    this.hashedPasswordFile = props.hashedPasswordFile;
    this.shell = props.shell ?? LoginShell.BASH;
    this.home = props.home;

    this.node.addValidation({ validate: () => this.validateUser() });
  }

  /** True when sudo asks no password (the user has none). */
  public get passwordlessSudo(): boolean {
    return this.sudo && this.hashedPasswordFile === undefined;
  }

  private validateUser(): string[] {
    const errors: string[] = [];
    if (!isUserName(this.userName)) {
      errors.push(problem(`user name "${this.userName}" is not a valid Linux user name`, 'use lower-case letters, digits, "_" and "-", starting with a letter or "_", at most 32 characters'));
    }
    if (this.userName === 'root') {
      errors.push(problem('the user "root" cannot be declared', 'declare a personal admin user with sudo: true; root login stays disabled'));
    }
    this.sshKeys.forEach((key, i) => {
      const parsed = parseSshPublicKey(key);
      if (typeof parsed === 'string') {
        errors.push(problem(`SSH key ${i + 1} of ${this.userName}: ${parsed}`, 'paste the one-line contents of the public key file (e.g. ~/.ssh/id_ed25519.pub)'));
      }
    });
    const duplicate = this.sshKeys.find((k, i) => this.sshKeys.indexOf(k) !== i);
    if (duplicate) {
      errors.push(problem(`SSH key "${duplicate.slice(0, 40)}…" is listed twice`, 'list each key once'));
    }
    for (const group of this.groups) {
      if (!isUserName(group)) {
        errors.push(problem(`group "${group}" is not a valid group name`, 'use lower-case letters, digits, "_" and "-"'));
      }
    }
    const nonSecret = this.hashedPasswordFile !== undefined ? Secret.describeNonSecret(this.hashedPasswordFile) : undefined;
    if (nonSecret) {
      errors.push(problem(`hashedPasswordFile is ${nonSecret}, not a secret reference`, 'use Secret.fromFile("/path/on/host") or Secret.fromSops({ name })'));
    }
    for (const pkg of this.home?.packages ?? []) {
      if (!isPackageName(pkg)) {
        errors.push(problem(`home package "${pkg}" is not a nixpkgs attribute path`, 'use a name such as "ripgrep" or "python3Packages.ipython"'));
      }
    }
    for (const alias of Object.keys(this.home?.shellAliases ?? {})) {
      if (!/^[A-Za-z0-9_.-]+$/.test(alias)) {
        errors.push(problem(`shell alias name "${alias}" has characters a shell would read as syntax`, 'use letters, digits, ".", "_" and "-"'));
      }
    }
    if (this.sshKeys.length === 0 && this.hashedPasswordFile === undefined) {
      Annotations.of(this).addWarning(
        problem(`${this.userName} has neither SSH keys nor a password and cannot log in`, 'add sshKeys (or a hashedPasswordFile for console logins)'),
        'homelab-cdk:user-cannot-log-in',
      );
    }
    return errors;
  }
}

/** The users declared on the lab itself, once per validation run. */
const LAB_USERS = runIndex((root) => root.node.children.filter(User.isUser));
