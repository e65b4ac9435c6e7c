// Local files imported through the upload extension (docs/api-decisions.md). createUpload names
// the file and its staging key in the catalog (so no sweep takes the key); receiveUpload streams
// the request body into the blob store under that key, in one pass, counting and hashing it; the
// import job that names the upload's `sourceFile` is ordinary, and its worker — any process —
// imports the staged bytes once they are complete (jobs/upload-source.ts).

import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { newId } from "../catalog/ids.js";
import type { UploadRecord } from "../catalog/types.js";
import { stagingKey, uploadSourceFile } from "../jobs/upload-source.js";
import type { BlobWriter } from "../blobs/types.js";
import type { Caller, ServiceDeps } from "./context.js";
import { Conflict, Invalid, NotFound } from "./errors.js";
import { requireStore } from "./stores.js";

export interface NewUpload {
  /** the local file's name (its last path segment); becomes the end of the sourceFile URI */
  fileName: string;
  /** the size the PUT will send, when known now (refused at once if too large) */
  contentLength?: number;
}

export interface UploadBody {
  /** the PUT's Content-Length */
  contentLength: number;
  /** the PUT's Content-MD5 (base64, RFC 1864), when given: checked against the bytes received */
  contentMd5?: string;
  stream: Readable;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 2 ** 30;

// bytes received are written to the catalog this often (the progress extension reads them)
const PROGRESS_INTERVAL_MS = 500;

/** A file name any S3 key (and so the S3Uri pattern) accepts: its base name, odd characters as `_`. */
export function uploadFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  const clean = base.replace(/[^A-Za-z0-9._+-]/g, "_").slice(0, 200);
  return clean === "" || /^\.+$/.test(clean) ? "upload" : clean;
}

export function uploadService(deps: ServiceDeps) {
  const { catalog, blobs } = deps;
  const maxBytes = deps.settings.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;

  const checkSize = (field: string, n: number) => {
    if (n > maxBytes) throw new Invalid(field, `${field}: ${n} bytes is more than this server accepts for an upload (${maxBytes})`);
  };

  /** The caller's upload in this store; another account's or store's answers as a missing one. */
  async function requireUpload(caller: Caller, storeId: string, id: string): Promise<UploadRecord> {
    await requireStore(deps, caller, storeId);
    const upload = await catalog.getUpload(id);
    if (!upload || upload.account !== caller.accountId || upload.storeId !== storeId)
      throw new NotFound(`Upload ${id} not found in reference store ${storeId}`);
    return upload;
  }

  return {
    async createUpload(caller: Caller, storeId: string, request: NewUpload): Promise<{ upload: UploadRecord; sourceFile: string }> {
      const store = await requireStore(deps, caller, storeId);
      if (request.contentLength !== undefined) checkSize("contentLength", request.contentLength);
      const id = newId();
      const now = deps.clock.now();
      const upload: UploadRecord = {
        id,
        account: caller.accountId,
        storeId: store.id,
        fileName: uploadFileName(request.fileName),
        blobKey: stagingKey(store.id, id),
        status: "CREATED",
        contentLength: request.contentLength,
        bytesReceived: 0,
        creationTime: now,
        updateTime: now,
      };
      await catalog.insertUpload(upload);
      return { upload, sourceFile: uploadSourceFile(id, upload.fileName) };
    },

    async getUpload(caller: Caller, storeId: string, id: string): Promise<{ upload: UploadRecord; sourceFile: string }> {
      const upload = await requireUpload(caller, storeId, id);
      return { upload, sourceFile: uploadSourceFile(id, upload.fileName) };
    },

    /**
     * Stream the body into the upload's staging key. An upload is sent once: a second PUT is a
     * Conflict. A body that ends early ("upload interrupted after N of M bytes") or whose MD5 is
     * not the Content-MD5 given leaves the upload FAILED with that message (its source fails
     * with it), and nothing staged.
     */
    async receiveUpload(caller: Caller, storeId: string, id: string, body: UploadBody): Promise<{ upload: UploadRecord; sourceFile: string }> {
      const upload = await requireUpload(caller, storeId, id);
      checkSize("Content-Length", body.contentLength);
      if (upload.contentLength !== undefined && upload.contentLength !== body.contentLength)
        throw new Invalid("Content-Length", `Content-Length: ${body.contentLength} bytes, but the upload was created for ${upload.contentLength}`);
      let expectedMd5: string | undefined;
      if (body.contentMd5 !== undefined) {
        const raw = Buffer.from(body.contentMd5, "base64");
        if (raw.length !== 16 || raw.toString("base64") !== body.contentMd5)
          throw new Invalid("Content-MD5", "Content-MD5: not the base64 of an MD5 digest (16 bytes)");
        expectedMd5 = raw.toString("hex");
      }
      if (upload.jobId) {
        const status = await catalog.getJobStatus(upload.jobId);
        if (status === undefined || ["CANCELLED", "FAILED", "COMPLETED", "COMPLETED_WITH_FAILURES"].includes(status))
          throw new Conflict(`Upload ${id}: its import job ${upload.jobId} has ended (${status ?? "deleted"})`);
      }
      if (!(await catalog.beginUpload(id, body.contentLength, deps.clock.now())))
        throw new Conflict(`Upload ${id} was sent already (${upload.status === "CREATED" ? "RECEIVING" : upload.status})`);

      const md5 = createHash("md5");
      let received = 0;
      let recorded = 0;
      let writer: BlobWriter | undefined;
      let gone = false;
      let inFlight: Promise<unknown> | undefined;
      const timer = setInterval(() => {
        if (inFlight || received === recorded) return;
        const value = received;
        inFlight = catalog
          .recordUploadProgress(id, value, deps.clock.now())
          .then((still) => {
            recorded = value;
            // its job ended meanwhile and the upload was discarded: stop reading
            if (!still) ((gone = true), body.stream.destroy(new Error("upload discarded")));
          })
          .catch(() => {}) // progress is advisory
          .finally(() => (inFlight = undefined));
      }, PROGRESS_INTERVAL_MS);

      const fail = async (message: string) => {
        await writer?.abort().catch(() => {});
        writer = undefined;
        await catalog.endUpload(id, { status: "FAILED", bytesReceived: received, statusMessage: message }, deps.clock.now());
        await catalog.notifyJobAvailable().catch(() => {});
      };
      try {
        writer = await blobs.create(upload.blobKey);
        try {
          for await (const chunk of body.stream as AsyncIterable<Buffer>) {
            received += chunk.length;
            md5.update(chunk);
            await writer.write(chunk);
          }
        } catch (err) {
          if (gone) throw new Conflict(`Upload ${id}: its import job has ended`);
          // the client went away (closed or reset the connection) before the end of the body
          if (received < body.contentLength) {
            const message = `upload interrupted after ${received} of ${body.contentLength} bytes`;
            await fail(message);
            throw new Invalid("body", message);
          }
          throw err;
        }
        clearInterval(timer);
        await inFlight;
        if (received !== body.contentLength) {
          const message = `upload interrupted after ${received} of ${body.contentLength} bytes`;
          await fail(message);
          throw new Invalid("body", message);
        }
        const digest = md5.digest("hex");
        if (expectedMd5 !== undefined && digest !== expectedMd5) {
          const message = `upload's MD5 ${digest} is not the Content-MD5 given (${expectedMd5})`;
          await fail(message);
          throw new Invalid("Content-MD5", message);
        }
        await writer.commit();
        writer = undefined;
        if (!(await catalog.endUpload(id, { status: "COMPLETE", bytesReceived: received, md5: digest }, deps.clock.now()))) {
          await blobs.delete(upload.blobKey).catch(() => {});
          throw new Conflict(`Upload ${id}: its import job has ended`);
        }
        await catalog.notifyJobAvailable().catch(() => {});
        const done = (await catalog.getUpload(id)) ?? { ...upload, status: "COMPLETE" as const, bytesReceived: received, md5: digest };
        return { upload: done, sourceFile: uploadSourceFile(id, upload.fileName) };
      } catch (err) {
        if (writer) await fail(`upload failed after ${received} of ${body.contentLength} bytes`);
        throw err;
      } finally {
        clearInterval(timer);
      }
    },
  };
}
