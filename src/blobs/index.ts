// The blob layer's public face: stores (disk, S3) and the reader of import sources.
export * from "./types.js";
export { DiskBlobStore } from "./disk.js";
export { S3BlobStore } from "./s3.js";
export { makeS3Client, openBlobStore, S3SourceReader } from "./sources.js";
