import { Construct } from 'constructs';
import { urlCredential } from '../core/credentials';
import { problem } from '../core/validation';
import type { ProxmoxStorage } from './proxmox-storage';
import { StorageContent } from './storage-content';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** What kind of image. */
export enum ImageKind {
  /** An installer or live ISO, attached as a CD-ROM (content `iso`). */
  ISO = 'iso',
  /** A disk image (a cloud image, `.qcow2`/`.raw`/`.vmdk`) imported into a VM's first disk (content `import`). */
  DISK_IMAGE = 'import',
}

/** A checksum Proxmox verifies after the download. */
export interface ImageChecksum {
  /** The algorithm. */
  readonly algorithm: 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  /** The expected digest, in hex. */
  readonly value: string;
}

/** The number of hex digits of each algorithm's digest. */
const DIGEST_LENGTH: Record<ImageChecksum['algorithm'], number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/** Props of {@link VmImage}. */
export interface VmImageProps {
  /** What kind of image it is. */
  readonly kind: ImageKind;
  /**
   * Where Terraform downloads it from (`proxmox_download_file`).
   * @default - none: the file is already on the storage (uploaded by hand), named by fileName
   */
  readonly url?: string;
  /**
   * The file name on the storage.
   * @default - the last segment of the URL
   */
  readonly fileName?: string;
  /**
   * A checksum Proxmox verifies after the download (`checksum` and `checksum_algorithm` of
   * `proxmox_download_file`): pin a dated URL with the digest its publisher lists, so that the
   * image a VM gets does not depend on the day it is created.
   * @default - none: whatever the URL serves
   */
  readonly checksum?: ImageChecksum;
  /**
   * Decompress an ISO-kind download (`.img.xz` style images are not supported by Proxmox).
   * @default - none
   */
  readonly decompression?: 'gz' | 'lzo' | 'zst' | 'bz2';
}

const VM_IMAGE = Kind.named<VmImage>('VmImage');

/**
 * An ISO or disk image on a Proxmox storage, for VMs to boot from: downloaded by Terraform, or a
 * file placed there by hand. Create it with {@link ProxmoxStorage.addImage}.
 */
export class VmImage extends Construct {
  /** Is `x` a VmImage (of any copy of this library)? */
  public static isVmImage(x: unknown): x is VmImage {
    return VM_IMAGE.is(x);
  }

  /** The storage the image is on. */
  public readonly storage: ProxmoxStorage;
  /** The image kind. */
  public readonly kind: ImageKind;
  /** The download URL, when Terraform downloads it. */
  public readonly url?: string;
  /** The file name on the storage. */
  public readonly fileName: string;
  /** The checksum, if any. */
  public readonly checksum?: ImageChecksum;
  /** Decompression of the download, if any. */
  public readonly decompression?: 'gz' | 'lzo' | 'zst' | 'bz2';

  public constructor(scope: ProxmoxStorage, id: string, props: VmImageProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'VmImageProps', props);
    VM_IMAGE.mark(this);
    this.storage = scope;
    this.kind = props.kind;
    this.url = props.url;
    this.fileName = props.fileName ?? fileNameOfUrl(props.url ?? '');
    this.checksum = props.checksum;
    this.decompression = props.decompression;
    this.node.addValidation({ validate: () => this.validateImage() });
  }

  /** Does Terraform download it? */
  public get isDownloaded(): boolean {
    return this.url !== undefined;
  }

  /** The Proxmox volume id (`local:iso/debian.iso`, `local:import/debian.qcow2`). */
  public get volumeId(): string {
    return `${this.storage.storageId}:${this.kind}/${this.fileName}`;
  }

  private validateImage(): string[] {
    const errors: string[] = [];
    if (this.url === undefined && this.fileName === '') {
      errors.push(problem('the image has neither a url nor a fileName', 'give the url Terraform downloads it from, or the fileName of a file already on the storage'));
      return errors;
    }
    if (this.url !== undefined && urlCredential(this.url) !== undefined) {
      // Never echo the URL: it carries the secret.
      errors.push(
        problem(
          `the download url carries ${urlCredential(this.url)}, which would be written into the stack's Terraform JSON`,
          'download from a URL that needs no credentials (a signed, expiring link is still a credential), or upload the file to the storage yourself and give only fileName',
        ),
      );
    } else if (this.url !== undefined && !/^https?:\/\/[^\s"'\\]+$/.test(this.url)) {
      errors.push(problem(`url "${this.url}" is not an http(s) URL`, 'give a URL such as "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"'));
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(this.fileName)) {
      errors.push(problem(`file name "${this.fileName}" is not a plain file name`, 'set fileName to a name of letters, digits, ".", "_", "+" and "-"'));
    } else if (this.kind === ImageKind.DISK_IMAGE && !/\.(qcow2|raw|vmdk)$/.test(this.fileName)) {
      errors.push(problem(`disk image "${this.fileName}" does not end in .qcow2, .raw or .vmdk, which Proxmox requires for imports`, 'set fileName with the image format as extension, such as "debian-12.qcow2"'));
    } else if (this.kind === ImageKind.ISO && !/\.(iso|img)$/.test(this.fileName)) {
      errors.push(problem(`ISO image "${this.fileName}" does not end in .iso or .img, which Proxmox requires`, 'set fileName ending in ".iso" or ".img"'));
    }
    if (this.decompression !== undefined && this.kind !== ImageKind.ISO) {
      errors.push(problem('decompression applies to ISO-kind downloads only', 'leave decompression out for a disk image, or download an uncompressed image'));
    }
    if (this.checksum !== undefined && !/^[0-9a-fA-F]+$/.test(this.checksum.value)) {
      errors.push(problem(`checksum "${this.checksum.value}" is not hexadecimal`, `give the ${this.checksum.algorithm} digest in hex`));
    } else if (this.checksum !== undefined && this.checksum.value.length !== DIGEST_LENGTH[this.checksum.algorithm]) {
      errors.push(
        problem(
          `checksum has ${this.checksum.value.length} hex digits, but a ${this.checksum.algorithm} digest has ${DIGEST_LENGTH[this.checksum.algorithm]}`,
          'give the digest the image\'s publisher lists for that algorithm (SHA256SUMS, SHA512SUMS, <file>.sha256), or correct the algorithm',
        ),
      );
    }
    if (this.checksum !== undefined && this.url === undefined) {
      errors.push(problem('the image has a checksum but no url: Proxmox verifies a checksum only when it downloads the file', 'give the url, or leave the checksum out for a file uploaded by hand'));
    }
    const content = contentForImage(this.kind);
    if (!this.storage.holds(content)) {
      errors.push(
        problem(
          `storage ${this.storage.storageId} does not hold ${content} content, so the ${this.kind === ImageKind.ISO ? 'ISO' : 'disk image'} cannot go there`,
          `put the image on a storage with StorageContent.${content === 'iso' ? 'ISO' : 'IMPORT'} (a directory storage such as "local"), or add it to this storage's content`,
        ),
      );
    }
    return errors;
  }
}

/** The content kind an image needs on its storage. */
export function contentForImage(kind: ImageKind): StorageContent {
  return kind === ImageKind.ISO ? StorageContent.ISO : StorageContent.IMPORT;
}

/** The last path segment of a URL, without query or fragment ('' when there is none). */
export function fileNameOfUrl(url: string): string {
  const withoutQuery = url.split(/[?#]/)[0];
  const segment = withoutQuery.slice(withoutQuery.lastIndexOf('/') + 1);
  return withoutQuery.includes('://') && withoutQuery.indexOf('/', withoutQuery.indexOf('://') + 3) >= 0 ? decodeSegment(segment) : '';
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
