// The wire helpers now live in src/api/wire.ts (shared by the APIs and SigV4); kept here for the AWS modules.
export * from "../wire.js";
