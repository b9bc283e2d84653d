import type { ApiDescriptor } from '../protocol/runtime/index.js';

/** What a handler knows about the request besides its body. */
export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** Unique per connection, for state tied to one (fetch sessions are not, but throttling is). */
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly listenerName: string;
  /**
   * Closes the connection once the responses to earlier requests are written, instead of
   * answering (Kafka's closeConnection: how a Produce with acks=0 reports an error).
   */
  readonly closeConnection?: () => void;
  /**
   * Runs `fn` once the response's bytes are handed to the kernel (or never, if the connection
   * closes first): when buffers the response references may be reused (BufferPool).
   */
  readonly onResponseWritten?: (fn: () => void) => void;
}

/**
 * One Kafka API served by the broker. The versions it serves are what ApiVersions advertises, so
 * there is no second list to keep in sync. A handler validates and delegates; logic lives in
 * the layer below (storage, coordinators).
 */
export interface ApiHandler<Req = any, Res = any> {
  readonly api: ApiDescriptor<Req, Res>;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The response, or null when the request gets none (Produce with acks=0). */
  handle(request: Req, ctx: RequestContext): Res | null | Promise<Res | null>;
}

export class HandlerRegistry {
  private readonly byKey: (ApiHandler | undefined)[] = [];

  register(handler: ApiHandler): void {
    const { api, minVersion, maxVersion } = handler;
    if (minVersion < api.minVersion || maxVersion > api.maxVersion || minVersion > maxVersion) {
      throw new Error(`${api.name}: served versions ${minVersion}-${maxVersion} outside ${api.minVersion}-${api.maxVersion}`);
    }
    if (this.byKey[api.apiKey]) throw new Error(`${api.name} registered twice`);
    // Kafka does not advertise a version still under development; clients must not be offered it.
    if (api.latestVersionUnstable && maxVersion === api.maxVersion) throw new Error(`${api.name} v${maxVersion} is unstable`);
    this.byKey[api.apiKey] = handler;
  }

  get(apiKey: number): ApiHandler | undefined {
    return apiKey >= 0 ? this.byKey[apiKey] : undefined;
  }

  all(): ApiHandler[] {
    return this.byKey.filter((h): h is ApiHandler => h !== undefined);
  }
}
