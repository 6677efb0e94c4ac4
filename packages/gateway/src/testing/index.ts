export {
  type EchoedRequest,
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from './harness.js';
export { type TestGatewaySuiteOptions, useTestGateway } from './suite.js';
