// Its own file because both ProxmoxStorage and VmImage need it at run time, and ProxmoxStorage
// makes VmImages: kept in either, the two files would import each other.

/** What a Proxmox storage may hold (its `content` setting). */
export enum StorageContent {
  /** VM disks. */
  IMAGES = 'images',
  /** Container volumes. */
  ROOTDIR = 'rootdir',
  /** ISO images. */
  ISO = 'iso',
  /** Disk images to import into VMs (cloud images, Proxmox VE 8.4+). */
  IMPORT = 'import',
  /** Snippets: cloud-init user data, hook scripts. */
  SNIPPETS = 'snippets',
  /** vzdump backups. */
  BACKUP = 'backup',
  /** Container templates. */
  VZTMPL = 'vztmpl',
}
