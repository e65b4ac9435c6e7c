// One handler per operation: the parsed AWS input → a service call → the AWS output. The only
// place where the AWS wire and the domain meet: Date filters become epoch milliseconds, ARNs are
// made and parsed, and GetReference's unmodelled headers are set.

import type { Service } from "../../service/index.js";
import type { Ga4ghAccess } from "../../config.js";
import type { Caller } from "../../service/context.js";
import { NotFound } from "../../service/errors.js";
import { parseArn } from "./arns.js";
import type { ResponseExtra } from "./serialize.js";
import type { Input, OperationName, Output } from "./types.js";
import {
  jobProgressView,
  jobSummaryView,
  jobView,
  referenceIdentifiersView,
  referenceListView,
  referenceMetadataView,
  startedJobView,
  storeView,
} from "./views.js";

/** One request as a handler sees it. */
export interface AwsCall {
  caller: Caller;
  /** region of the ARNs this server issues (REFSTORE_REGION) */
  region: string;
  /** headers/status beyond the model (GetReference) */
  extra: ResponseExtra;
}

export type Handlers = { [Op in OperationName]: (call: AwsCall, input: Input<Op>) => Promise<Output<Op>> };

const ms = (d: Date | undefined): number | undefined => (d === undefined ? undefined : d.getTime());

/** A list filter in domain terms: the AWS filter's own members, then its time bounds in epoch ms. */
function listFilter<T extends object>(own: T, f: { createdAfter?: Date; createdBefore?: Date }) {
  // key order is part of the nextToken's filter digest: keep own members first
  return { ...own, createdAfter: ms(f.createdAfter), createdBefore: ms(f.createdBefore) };
}

/** `ga4ghAccess`: how this process serves the GA4GH routes (GetReferenceIdentifiers tells). */
export function awsHandlers(service: Service, ga4ghAccess: Ga4ghAccess): Handlers {
  const { stores, importJobs, references, tags } = service;

  /** A tag target from an ARN: only this server's own, in the caller's account and region. */
  const target = (call: AwsCall, arn: string) => {
    const p = parseArn(arn);
    if (!p || p.account !== call.caller.accountId || p.region !== call.region) throw new NotFound(`Resource ${arn} not found`);
    return p.referenceId === undefined ? { storeId: p.storeId } : { storeId: p.storeId, referenceId: p.referenceId };
  };

  return {
    async CreateReferenceStore(call, input) {
      const { name, description, sseConfig, tags, clientToken } = input;
      return storeView(call.region, await stores.createStore(call.caller, { name, description, sseConfig, tags, clientToken }));
    },
    async GetReferenceStore(call, input) {
      return storeView(call.region, await stores.getStore(call.caller, input.id));
    },
    async ListReferenceStores(call, input) {
      const f = input.filter ?? {};
      const page = await stores.listStores(call.caller, listFilter({ name: f.name }, f), input);
      return { referenceStores: page.items.map((s) => storeView(call.region, s)), nextToken: page.nextToken };
    },
    async DeleteReferenceStore(call, input) {
      await stores.deleteStore(call.caller, input.id);
      return {};
    },

    async StartReferenceImportJob(call, input) {
      const { referenceStoreId, roleArn, sources, clientToken } = input;
      return startedJobView(await importJobs.startImportJob(call.caller, { referenceStoreId, roleArn, sources, clientToken }));
    },
    async GetReferenceImportJob(call, input) {
      return jobView(await importJobs.getImportJob(call.caller, input.referenceStoreId, input.id));
    },
    async ListReferenceImportJobs(call, input) {
      const f = input.filter ?? {};
      const page = await importJobs.listImportJobs(call.caller, input.referenceStoreId, listFilter({ status: f.status }, f), input);
      return { importJobs: page.items.map(jobSummaryView), nextToken: page.nextToken };
    },
    async CancelReferenceImportJob(call, input) {
      return jobView(await importJobs.cancelImportJob(call.caller, input.referenceStoreId, input.id));
    },
    async GetReferenceImportJobProgress(call, input) {
      const { job, progress } = await importJobs.getImportProgress(call.caller, input.referenceStoreId, input.id);
      return jobProgressView(job, progress);
    },

    async ListReferences(call, input) {
      const f = input.filter ?? {};
      const filter = listFilter({ name: f.name, md5: f.md5 }, f);
      const page = await references.listReferences(call.caller, input.referenceStoreId, filter, input);
      return {
        references: page.items.map((r) => referenceListView(call.region, call.caller.accountId, r)),
        nextToken: page.nextToken,
      };
    },
    async GetReferenceMetadata(call, input) {
      const r = await references.getReference(call.caller, input.referenceStoreId, input.id);
      return referenceMetadataView(call.region, call.caller.accountId, r, references.geometry);
    },
    async GetReferenceIdentifiers(call, input) {
      return referenceIdentifiersView(await references.identifiers(call.caller, input.referenceStoreId, input.id), ga4ghAccess);
    },
    async GetReference(call, input) {
      const part = await references.readPart(call.caller, input.referenceStoreId, input.id, {
        file: input.file ?? "SOURCE",
        partNumber: input.partNumber,
        range: input.range,
      });
      call.extra.headers = { "content-type": "application/octet-stream", "content-length": part.length };
      if (part.range) call.extra.headers["content-range"] = `bytes ${part.range.start}-${part.range.end}/${part.partLength}`;
      return { payload: part.stream };
    },
    async DeleteReference(call, input) {
      await references.deleteReference(call.caller, input.referenceStoreId, input.id);
      return {};
    },

    async TagResource(call, input) {
      await tags.tagResource(call.caller, target(call, input.resourceArn), input.resourceArn, input.tags);
      return {};
    },
    async UntagResource(call, input) {
      await tags.untagResource(call.caller, target(call, input.resourceArn), input.resourceArn, input.tagKeys);
      return {};
    },
    async ListTagsForResource(call, input) {
      return { tags: await tags.listTags(call.caller, target(call, input.resourceArn), input.resourceArn) };
    },
  };
}
