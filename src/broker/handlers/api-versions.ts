// ApiVersions (key 18), v0-4. v3+ carries the client's software name/version (KIP-511); a
// request with a version we do not serve is answered by the connection with v0 and
// UNSUPPORTED_VERSION. The list is derived from the registered handlers.
import { ApiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/generated/apis/18-api-versions.js';
import type { ApiHandler, HandlerRegistry } from '../handler.js';
import { ErrorCode } from '../errors.js';

export function apiVersionsResponse(registry: HandlerRegistry): ApiVersionsResponse {
  return {
    errorCode: ErrorCode.NONE,
    apiKeys: registry.all().map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

/** KIP-511: what a client software name or version may look like (Kafka's ApiVersionsRequest.isValid). */
const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function apiVersionsHandler(registry: HandlerRegistry): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    api: ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle: (req, ctx) => {
      if (ctx.apiVersion >= 3 && !(SOFTWARE_PATTERN.test(req.clientSoftwareName) && SOFTWARE_PATTERN.test(req.clientSoftwareVersion))) {
        return { ...apiVersionsResponse(registry), errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [] };
      }
      return apiVersionsResponse(registry);
    },
  };
}
