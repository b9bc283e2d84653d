// DescribeCluster (key 60), v0-1 (KIP-700). v1 adds endpointType (KIP-919): 1 asks for the
// brokers; 2 (the controllers) is answered only by a controller's listener in Kafka, so here, as
// on a Kafka broker listener, it gets MISMATCHED_ENDPOINT_TYPE; other types UNSUPPORTED_ENDPOINT_TYPE.
// Brokers and controller come from the metadata image; authorized operations on request (no
// authorizer: all of the cluster's).
import { DescribeCluster, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/generated/apis/60-describe-cluster.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_OPERATIONS } from './authorized-operations.js';

const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;

export function describeClusterHandler(broker: BrokerContext): ApiHandler<DescribeClusterRequest, DescribeClusterResponse> {
  return {
    api: DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    handle(req, ctx) {
      const endpointType = ctx.apiVersion >= 1 ? req.endpointType : EndpointType.BROKER;
      if (endpointType !== EndpointType.BROKER) {
        const mismatched = endpointType === EndpointType.CONTROLLER;
        return {
          throttleTimeMs: 0,
          errorCode: mismatched ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: mismatched ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER' : `Unsupported endpoint type ${endpointType}`,
          endpointType: EndpointType.BROKER,
          clusterId: '',
          controllerId: -1,
          brokers: [],
          clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        };
      }
      const image = broker.metadata;
      const brokers = image.reachableBrokers(ctx.listenerName).map(({ id, ...where }) => ({ brokerId: id, ...where }));
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType,
        clusterId: image.clusterId,
        controllerId: image.controllerId,
        brokers,
        clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
  };
}
