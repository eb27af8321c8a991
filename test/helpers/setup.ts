import { DefaultLogger, Runtime } from '@temporalio/worker';

// Tests keep the SDK quiet: only errors from the TypeScript side and from the Rust core reach the
// output, so a failing assertion is not buried in worker state changes. MLOPS_TEST_LOG=INFO shows more.
const level = (process.env.MLOPS_TEST_LOG ?? 'ERROR') as 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
Runtime.install({
  logger: new DefaultLogger(level),
  telemetryOptions: { logging: { filter: { core: level, other: level } } },
});

// The AWS SDK warns once per process that its 2027 releases need Node >= 22: true, but noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
