import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type CloudWatchClient,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, UpdateEndpointCommand, type SageMakerClient, type UpdateEndpointCommandInput } from '@aws-sdk/client-sagemaker';
import { invalidInput } from '../../../common/errors';
import { durationMs } from '../../../common/duration';
import type { RollbackAlarms } from '../../../common/types/deployment';
import type { DeploymentGuardrails, GuardedUpdateSpec, GuardrailAlarm } from '../types';
import { call, isErrorNamed, toActivityError } from './aws-errors';
import { EndpointBusyError } from './model-hosting';

/** Where the manual-abort alarm's metric lives (a person's abort is a datapoint there). */
export const ABORT_NAMESPACE = 'TemporalMlops';
export const ABORT_METRIC = 'DeploymentAbort';

/** SageMaker's endpoint metrics come in 1-minute periods: a window is rounded up to whole minutes. */
function periodSeconds(window: string): number {
  return Math.max(60, Math.ceil(durationMs(window) / 60_000) * 60);
}

export function alarmName(endpointName: string, deploymentKey: string, alarm: 'error-rate' | 'p99-latency' | 'manual-abort'): string {
  return `mlops/${endpointName}/${deploymentKey}/${alarm}`.slice(0, 255);
}

/**
 * The CloudWatch alarms SageMaker watches while it shifts traffic (AutoRollbackConfiguration):
 * the variant's error rate (Invocation5XXErrors / Invocations, judged only once `minInvocations`
 * arrived in the period), its p99 ModelLatency (microseconds), and a manual-abort alarm on a
 * metric of the project's own that a person's `mlops deployments abort` sets.
 *
 * During a blue/green update both fleets share the variant's name, so EndpointName + VariantName
 * averages the canary with the old fleet (a 10 % canary failing half its requests reads ~5 %).
 * With `endpointConfigName` (the configuration being deployed) the alarms watch the new fleet
 * alone: SageMaker documents that CloudWatch publishes the endpoint's metrics with the dimension
 * `EndpointConfigName:{New-Ep-Config}` once the new fleet receives traffic, and its guardrails
 * alarm example "Monitor model latency on the new fleet" uses EndpointName + VariantName +
 * EndpointConfigName (deployment-guardrails-configuration). Missing data is not breaching, so
 * the alarms stay OK until the new fleet answers.
 */
export function rollbackAlarmRequests(input: { endpointName: string; variantName: string; alarms: RollbackAlarms; deploymentKey: string; endpointConfigName?: string }): PutMetricAlarmCommandInput[] {
  const { endpointName, variantName, alarms, deploymentKey } = input;
  const dimensions = [
    { Name: 'EndpointName', Value: endpointName },
    { Name: 'VariantName', Value: variantName },
    ...(input.endpointConfigName ? [{ Name: 'EndpointConfigName', Value: input.endpointConfigName }] : []),
  ];
  const fleet = input.endpointConfigName ? `${variantName} on ${input.endpointConfigName} (the new fleet)` : variantName;
  const period = periodSeconds(alarms.window);
  const common = { EvaluationPeriods: 1, DatapointsToAlarm: 1, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching', ActionsEnabled: false } as const;
  return [
    {
      ...common,
      AlarmName: alarmName(endpointName, deploymentKey, 'error-rate'),
      AlarmDescription: `temporal-mlops: share of the invocations of ${fleet} answered 5xx above ${alarms.maxErrorRate} (rolls the deployment back)`,
      Threshold: alarms.maxErrorRate,
      Metrics: [
        { Id: 'errors', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Dimensions: dimensions }, Period: period, Stat: 'Sum' } },
        { Id: 'invocations', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Dimensions: dimensions }, Period: period, Stat: 'Sum' } },
        { Id: 'rate', ReturnData: true, Expression: `IF(invocations >= ${alarms.minInvocations}, errors / invocations, 0)`, Label: 'error rate' },
      ],
    },
    {
      ...common,
      AlarmName: alarmName(endpointName, deploymentKey, 'p99-latency'),
      AlarmDescription: `temporal-mlops: p99 ModelLatency of ${fleet} above ${alarms.maxP99LatencyMs} ms (rolls the deployment back)`,
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: dimensions,
      ExtendedStatistic: 'p99',
      Period: period,
      // ModelLatency is in microseconds.
      Threshold: alarms.maxP99LatencyMs * 1000,
    },
    {
      ...common,
      AlarmName: alarmName(endpointName, deploymentKey, 'manual-abort'),
      AlarmDescription: `temporal-mlops: a person aborted the deployment of ${variantName} (mlops deployments abort)`,
      Namespace: ABORT_NAMESPACE,
      MetricName: ABORT_METRIC,
      Dimensions: [
        { Name: 'EndpointName', Value: endpointName },
        { Name: 'Deployment', Value: deploymentKey },
      ],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0,
    },
  ];
}

/** UpdateEndpoint's request with SageMaker's blue/green DeploymentConfig (limits as its API states them). */
export function guardedUpdateRequest(spec: GuardedUpdateSpec): UpdateEndpointCommandInput {
  const inRange = (what: string, value: number, lo: number, hi: number) => {
    if (!(Number.isInteger(value) && value >= lo && value <= hi)) throw invalidInput(`UpdateEndpoint ${spec.endpointName}: ${what} must be a whole number from ${lo} to ${hi} seconds on SageMaker (got ${value})`);
    return value;
  };
  const size = spec.traffic.percent !== undefined ? { Type: 'CAPACITY_PERCENT' as const, Value: Math.min(100, Math.max(1, Math.round(spec.traffic.percent))) } : undefined;
  const percent = size?.Value;
  if (spec.traffic.type === 'CANARY' && percent !== undefined && percent > 50) throw invalidInput(`UpdateEndpoint ${spec.endpointName}: the canary size must be at most 50 % of the fleet on SageMaker (got ${percent} %)`);
  if (spec.traffic.type === 'LINEAR' && percent !== undefined && (percent < 10 || percent > 50)) throw invalidInput(`UpdateEndpoint ${spec.endpointName}: the linear step size must be from 10 to 50 % of the fleet on SageMaker (got ${percent} %)`);
  return {
    EndpointName: spec.endpointName,
    EndpointConfigName: spec.endpointConfigName,
    RetainAllVariantProperties: false,
    DeploymentConfig: {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: spec.traffic.type,
          WaitIntervalInSeconds: inRange('the wait between traffic steps', spec.traffic.waitIntervalSeconds, 0, 3600),
          ...(spec.traffic.type === 'CANARY' && size ? { CanarySize: size } : {}),
          ...(spec.traffic.type === 'LINEAR' && size ? { LinearStepSize: size } : {}),
        },
        TerminationWaitInSeconds: inRange('the final baking period', spec.finalBakeSeconds, 0, 3600),
        MaximumExecutionTimeoutInSeconds: inRange('the deployment timeout', spec.maximumExecutionTimeoutSeconds, 600, 28800),
      },
      AutoRollbackConfiguration: { Alarms: spec.alarmNames.map((name) => ({ AlarmName: name })) },
    },
  };
}

/** SageMaker's deployment guardrails: CloudWatch alarms it creates and watches, UpdateEndpoint with a DeploymentConfig. */
export class AwsDeploymentGuardrails implements DeploymentGuardrails {
  constructor(
    private readonly sagemaker: SageMakerClient,
    private readonly cloudwatch: CloudWatchClient,
  ) {}

  async putRollbackAlarms(input: { endpointName: string; variantName: string; alarms: RollbackAlarms; deploymentKey: string; endpointConfigName?: string }): Promise<{ alarmNames: string[]; abortAlarmName: string }> {
    const requests = rollbackAlarmRequests(input);
    for (const request of requests) await call(`CloudWatch PutMetricAlarm ${request.AlarmName}`, () => this.cloudwatch.send(new PutMetricAlarmCommand(request)));
    return { alarmNames: requests.map((r) => r.AlarmName!), abortAlarmName: alarmName(input.endpointName, input.deploymentKey, 'manual-abort') };
  }

  async startGuardedUpdate(spec: GuardedUpdateSpec): Promise<void> {
    const request = guardedUpdateRequest(spec);
    const current = await call(`SageMaker DescribeEndpoint ${spec.endpointName}`, () => this.sagemaker.send(new DescribeEndpointCommand({ EndpointName: spec.endpointName })));
    // A retry after our own call: the endpoint already moves to, or serves, this configuration.
    if (current.PendingDeploymentSummary?.EndpointConfigName === spec.endpointConfigName || (current.EndpointConfigName === spec.endpointConfigName && current.EndpointStatus === 'InService')) return;
    if (current.EndpointStatus && current.EndpointStatus !== 'InService') throw new EndpointBusyError(spec.endpointName, current.EndpointStatus);
    try {
      await this.sagemaker.send(new UpdateEndpointCommand(request));
    } catch (err) {
      if (isErrorNamed(err, 'ValidationException', 'ValidationError') && /in.progress|in-progress/i.test((err as Error).message)) throw new EndpointBusyError(spec.endpointName, 'Updating');
      throw toActivityError(err, `SageMaker UpdateEndpoint ${spec.endpointName} (blue/green ${spec.traffic.type})`);
    }
  }

  async alarmStates(alarmNames: string[]): Promise<GuardrailAlarm[]> {
    if (alarmNames.length === 0) return [];
    const out = await call('CloudWatch DescribeAlarms', () => this.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames, AlarmTypes: ['MetricAlarm'] })));
    return (out.MetricAlarms ?? []).map((a) => ({ alarmName: a.AlarmName ?? '', state: a.StateValue ?? 'INSUFFICIENT_DATA', reason: a.StateReason ?? '' }));
  }

  async tripAlarm(alarmName: string, reason: string): Promise<void> {
    const [, endpointName, deploymentKey] = alarmName.split('/');
    // The datapoint keeps the alarm in ALARM for its period; the state change makes it so at once.
    await call('CloudWatch PutMetricData', () =>
      this.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: ABORT_NAMESPACE,
          MetricData: [{ MetricName: ABORT_METRIC, Value: 1, Unit: 'Count', Dimensions: [{ Name: 'EndpointName', Value: endpointName ?? '' }, { Name: 'Deployment', Value: deploymentKey ?? '' }] }],
        }),
      ),
    );
    await call(`CloudWatch SetAlarmState ${alarmName}`, () => this.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: reason.slice(0, 1023) || 'aborted by hand' })));
  }

  async deleteAlarms(alarmNames: string[]): Promise<void> {
    if (alarmNames.length === 0) return;
    await call('CloudWatch DeleteAlarms', () => this.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: alarmNames })));
  }
}
