/** A file a projection renders, in memory, before the writer puts it on disk. */
export interface OutputFile {
  /** Path relative to the projection's output folder, with `/` separators. */
  readonly path: string;
  /** The whole content. */
  readonly content: string;
  /**
   * Mark the file executable (a script).
   * @default false
   */
  readonly executable?: boolean;
}
