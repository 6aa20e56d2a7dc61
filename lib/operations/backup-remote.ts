/**
 * Where off-site backups go: an SFTP server (a Hetzner Storage Box, say), a WebDAV server or an
 * S3-compatible bucket. The remote's address is part of the model; its credentials are a
 * {@link Secret} reference that the backup reads on the host at run time, never a value.
 */
import { urlCredential } from '../core/credentials';
import { isDomainName } from '../core/names';
import { isIpv4 } from '../core/addressing';
import { isPortNumber } from '../core/ports';
import { Secret, SecretSource } from '../core/secret';
import { problem } from '../core/validation';
import { addValueProblem } from '../core/problems';
import { maskCredentials, quoted } from '../core/readable';
import { Kind } from '../core/kind';

/** The kinds of remote. */
export enum BackupRemoteKind {
  /** An SFTP server (a storage box), reached over SSH. */
  SFTP = 'sftp',
  /** A WebDAV folder (Nextcloud, ownCloud, …). */
  WEBDAV = 'webdav',
  /** An S3-compatible bucket. */
  S3 = 's3',
}

/** How the backup uses the remote's secret. */
export enum BackupCredentialKind {
  /** An SSH private key file (SFTP). */
  PRIVATE_KEY = 'private-key',
  /** A file holding the password (SFTP, WebDAV). */
  PASSWORD = 'password',
  /** An environment file with `AWS_ACCESS_KEY_ID=` and `AWS_SECRET_ACCESS_KEY=` lines (S3). */
  ENVIRONMENT_FILE = 'environment-file',
}

/** The secret of a remote and what it is. */
export interface BackupCredentials {
  /** What the secret holds: a private key, a password, or an environment file. */
  readonly kind: BackupCredentialKind;
  /** Where the secret lives on the backing-up host. */
  readonly secret: Secret;
}

/** Props of {@link BackupRemote.sftp}. */
export interface SftpRemoteProps {
  /** The server's host name or IPv4 address (`u123456.your-storagebox.de`). */
  readonly host: string;
  /**
   * The SSH port.
   * @default 22
   */
  readonly port?: number;
  /** The user to log in as. */
  readonly user: string;
  /** The folder on the server that holds the lab's backups, relative to the user's home. */
  readonly path: string;
  /**
   * The SSH private key, as a file or sops secret on the backing-up host.
   * @default - none: give this or password
   */
  readonly privateKey?: Secret;
  /**
   * A file holding the password.
   * @default - none: give this or privateKey
   */
  readonly password?: Secret;
  /**
   * The server's public host key as a `known_hosts` line without the host name
   * (`ssh-ed25519 AAAA…`), so that the backup refuses an impostor.
   * @default - not checked (a warning)
   */
  readonly hostKey?: string;
}

/** Props of {@link BackupRemote.webdav}. */
export interface WebdavRemoteProps {
  /** The WebDAV URL of the folder that holds the lab's backups (`https://dav.example.org/backups`). */
  readonly url: string;
  /** The user. */
  readonly user: string;
  /**
   * A file holding the password.
   * @default - none, which is a validation error: the backup cannot log in without it
   */
  readonly password?: Secret;
  /**
   * The server's software, as rclone names it (`nextcloud`, `owncloud`, `sharepoint`, `other`).
   * @default "other"
   */
  readonly vendor?: string;
}

/** Props of {@link BackupRemote.s3}. */
export interface S3RemoteProps {
  /** The S3 endpoint URL (`https://s3.eu-central-1.example.com`). */
  readonly endpoint: string;
  /** The bucket. */
  readonly bucket: string;
  /**
   * The folder inside the bucket.
   * @default - the bucket's root
   */
  readonly path?: string;
  /**
   * The region.
   * @default - none (the provider's default)
   */
  readonly region?: string;
  /**
   * The S3 provider, as rclone names it (`AWS`, `Minio`, `Wasabi`, `Other`, …).
   * @default "Other"
   */
  readonly provider?: string;
  /**
   * An environment file with `AWS_ACCESS_KEY_ID=…` and `AWS_SECRET_ACCESS_KEY=…` lines.
   * @default - none, which is a validation error: the backup cannot log in without it
   */
  readonly credentials?: Secret;
}

const BACKUP_REMOTE = Kind.named<BackupRemote>('BackupRemote');

/** A remote that off-site backups are copied to. Make one with a static factory. */
export class BackupRemote {
  /** Is `x` a BackupRemote (of any copy of this library)? */
  public static isBackupRemote(x: unknown): x is BackupRemote {
    return BACKUP_REMOTE.is(x);
  }

  /** An SFTP server, with a private key or a password. */
  public static sftp(props: SftpRemoteProps): BackupRemote {
    const secret = props.privateKey ?? props.password;
    const remote = new BackupRemote({
      kind: BackupRemoteKind.SFTP,
      host: props.host,
      port: props.port ?? 22,
      user: props.user,
      path: props.path,
      hostKey: props.hostKey,
      credentials: secret && { kind: props.privateKey ? BackupCredentialKind.PRIVATE_KEY : BackupCredentialKind.PASSWORD, secret },
    });
    if (props.privateKey && props.password) {
      addValueProblem(remote, (field) => problem(`${field}: the SFTP remote ${quoted(props.host)} has both a privateKey and a password`, 'give privateKey or password, not both'));
    }
    return remote;
  }

  /** A WebDAV server, with a password. */
  public static webdav(props: WebdavRemoteProps): BackupRemote {
    return new BackupRemote({
      kind: BackupRemoteKind.WEBDAV,
      url: props.url,
      user: props.user,
      vendor: props.vendor ?? 'other',
      path: '',
      credentials: props.password && { kind: BackupCredentialKind.PASSWORD, secret: props.password },
    });
  }

  /** An S3-compatible bucket, with its keys in an environment file. */
  public static s3(props: S3RemoteProps): BackupRemote {
    return new BackupRemote({
      kind: BackupRemoteKind.S3,
      url: props.endpoint,
      bucket: props.bucket,
      region: props.region,
      vendor: props.provider ?? 'Other',
      path: props.path ?? '',
      credentials: props.credentials && { kind: BackupCredentialKind.ENVIRONMENT_FILE, secret: props.credentials },
    });
  }

  /** SFTP, WebDAV or S3. */
  public readonly kind: BackupRemoteKind;
  /** The SFTP server. */
  public readonly host?: string;
  /** The SFTP port. */
  public readonly port?: number;
  /** The user (SFTP, WebDAV). */
  public readonly user?: string;
  /** The WebDAV URL or the S3 endpoint. */
  public readonly url?: string;
  /** The S3 bucket. */
  public readonly bucket?: string;
  /** The S3 region. */
  public readonly region?: string;
  /** The WebDAV vendor or the S3 provider. */
  public readonly vendor?: string;
  /** The folder on the remote that holds the lab's backups ('' for the root). */
  public readonly path: string;
  /** The SFTP server's host key. */
  public readonly hostKey?: string;
  /** The secret the backup logs in with, when given. */
  public readonly credentials?: BackupCredentials;

  private constructor(fields: Omit<BackupRemote, 'problems' | 'warnings' | 'toString'>) {
    BACKUP_REMOTE.mark(this);
    Object.assign(this, fields);
    this.kind = fields.kind;
    this.path = fields.path;
  }

  /** What the remote is, for messages: `sftp://u123456@u123456.your-storagebox.de:23/backups`. */
  public toString(): string {
    switch (this.kind) {
      case BackupRemoteKind.SFTP:
        return `sftp://${this.user}@${this.host}:${this.port}/${this.path}`;
      case BackupRemoteKind.WEBDAV:
        return maskCredentials(this.url ?? '');
      default:
        return `s3 ${maskCredentials(this.url ?? '')}/${this.bucket}${this.path ? `/${this.path}` : ''}`;
    }
  }

  /** What is wrong with the remote (messages in the house format). */
  public problems(): string[] {
    const errors: string[] = [];
    const credentials = this.credentials;
    if (!credentials) {
      const what = { sftp: 'privateKey (or password)', webdav: 'password', s3: 'credentials' }[this.kind];
      errors.push(
        problem(
          `the backup remote ${this} has no credentials reference, so the backup cannot log in`,
          `give ${what} as a secret reference: Secret.fromSops({ name: '…' }) or Secret.fromFile('/var/lib/secrets/…')`,
        ),
      );
    } else {
      const nonSecret = Secret.describeNonSecret(credentials.secret);
      if (nonSecret !== undefined) {
        // Never echo the value: it is the secret.
        errors.push(problem(`the credentials of the backup remote ${this} are ${nonSecret}, which would be copied into the world-readable Nix store`, 'give a reference: Secret.fromSops({ name }) or Secret.fromFile(path)'));
      } else if (credentials.secret.hostPath === undefined) {
        errors.push(problem(`the credentials of the backup remote ${this} are ${describeUnreadable(credentials.secret)}, which the backup cannot read on the host`, 'use Secret.fromSops(...) or Secret.fromFile(...)'));
      }
    }
    if (this.kind === BackupRemoteKind.SFTP) {
      if (this.host && /:[^@]*@/.test(this.host)) {
        // user:password@host: never echo it.
        errors.push(problem('the SFTP host carries a user and password, which would be copied into the world-readable Nix store', 'give only the server\'s name as host, the login as user and the password as password: Secret.fromSops({ name: … })'));
      } else if (!this.host || !(isDomainName(this.host) || isIpv4(this.host))) {
        errors.push(problem(`SFTP host "${this.host}" is not a host name or IPv4 address`, 'give the server\'s name, such as "u123456.your-storagebox.de"'));
      }
      if (!isPortNumber(this.port ?? NaN)) {
        errors.push(problem(`SFTP port ${this.port} is not a port number`, 'use the server\'s SSH port (22; 23 on a Hetzner Storage Box)'));
      }
      if (!this.user || !/^[A-Za-z0-9._-]+$/.test(this.user)) {
        errors.push(problem(`SFTP user "${this.user}" is not a plain user name`, 'give the login name, such as "u123456"'));
      }
      if (this.hostKey !== undefined && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+$/.test(this.hostKey)) {
        errors.push(problem(`SFTP host key "${this.hostKey}" is not a public key line`, 'give the key as `ssh-keyscan -p PORT HOST` prints it, without the host name (e.g. "ssh-ed25519 AAAA…")'));
      }
    } else if (this.url && urlCredential(this.url) !== undefined) {
      // Never echo the URL: it carries the secret.
      const what = this.kind === BackupRemoteKind.S3 ? 'S3 endpoint' : 'WebDAV URL';
      const fix =
        this.kind === BackupRemoteKind.S3
          ? 'remove the credentials from the endpoint and put AWS_ACCESS_KEY_ID=… and AWS_SECRET_ACCESS_KEY=… in the environment file given as credentials (a Secret)'
          : 'remove the user and password from the URL: give the user as user and the password as password: Secret.fromSops({ name: … }) or Secret.fromFile(…)';
      errors.push(problem(`the ${what} carries ${urlCredential(this.url)}, which would be copied into the world-readable Nix store`, fix));
    } else if (!this.url || !/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~%/-]*)?$/.test(this.url)) {
      errors.push(problem(`${this.kind === BackupRemoteKind.S3 ? 'S3 endpoint' : 'WebDAV URL'} ${quoted(this.url)} is not an http(s) URL`, 'give it like "https://dav.example.org/backups"'));
    }
    if (this.kind === BackupRemoteKind.S3 && (!this.bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(this.bucket))) {
      errors.push(problem(`S3 bucket "${this.bucket}" is not a bucket name`, 'use 3–63 lower-case letters, digits, "." and "-"'));
    }
    if (this.path !== '' && !isRemotePath(this.path)) {
      errors.push(problem(`remote path "${this.path}" is not a plain relative path`, 'use folder names of letters, digits, ".", "_" and "-" joined by "/" (no "..", no leading "/")'));
    }
    for (const [name, value] of [['vendor', this.vendor], ['region', this.region]] as const) {
      if (value !== undefined && !/^[A-Za-z0-9_-]+$/.test(value)) {
        errors.push(problem(`remote ${name} "${value}" is not a plain name`, `give the ${name} as rclone names it`));
      }
    }
    return errors;
  }

  /** Warnings about the remote, each reported with the id `homelab-cdk:backup-host-key-not-pinned`. */
  public warnings(): string[] {
    if (this.kind === BackupRemoteKind.SFTP && this.hostKey === undefined) {
      return [problem(`the host key of ${this} is not pinned, so the backup would send the lab's data to whoever answers as ${this.host}`, 'set hostKey to the server\'s key (ssh-keyscan -p PORT HOST)')];
    }
    return [];
  }
}

/** A relative path of plain segments (`backups/homelab`). */
export function isRemotePath(path: string): boolean {
  return typeof path === 'string' && path.split('/').every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== '.' && s !== '..');
}

/** What a secret that no host can read is, for messages: "an environment variable (X)". */
export function describeUnreadable(secret: Secret): string {
  return `${secret.source === SecretSource.ENVIRONMENT ? 'an environment variable' : 'a Terraform variable'} (${secret})`;
}
