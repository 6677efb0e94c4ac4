export {
  type EchoedRequest,
  simpleDocument,
  startTestGateway,
  startTestNode,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from './harness.js';
export { type TestGatewaySuiteOptions, useTestGateway } from './suite.js';
