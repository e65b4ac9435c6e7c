// What an API tells the process about each request it served, for the access log (and the
// metrics that will hang off the same facts): which API, which operation or route, whose
// account. Every API fills `req.info`; app/http.ts reads it when the response is sent.

export interface RequestInfo {
  /** "aws", "ga4gh", "console", "ops"… */
  api: string;
  /** the operation (AWS) or route template (others), once known */
  operation?: string;
  /** the caller's account, once authenticated */
  account?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    info: RequestInfo | null;
  }
}
