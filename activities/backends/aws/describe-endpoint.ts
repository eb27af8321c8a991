import { DescribeEndpointCommand, type DescribeEndpointCommandOutput, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { isSageMakerNotFound, toActivityError } from './aws-errors';

/** SageMaker's DescribeEndpoint, or undefined when no endpoint has that name (a ValidationException "Could not find endpoint"). */
export async function describeEndpointIfAny(sagemaker: SageMakerClient, endpointName: string): Promise<DescribeEndpointCommandOutput | undefined> {
  try {
    return await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (err) {
    if (isSageMakerNotFound(err)) return undefined;
    throw toActivityError(err, `SageMaker DescribeEndpoint ${endpointName}`);
  }
}
