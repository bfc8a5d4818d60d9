// The CDK app: one environment-agnostic stack (no account, no region, no lookups), so `cdk synth`
// runs offline and without AWS credentials. cdk-nag's AwsSolutions rules run on every synth, as a
// CDK policy validation plugin (cdk-nag 3): an unacknowledged finding fails the synth.
//
// Context values (-c NAME=VALUE):
//   codeDir=DIR          take the functions' zips from DIR/<package>/bootstrap.zip (e.g.
//                        ../../target/lambda after `make package`) instead of S3 parameters
//   stackName=NAME       the stack's name (default DescopeAuthorizers)
//   plantNagViolation=1  check.sh's self-test only: one unsuppressed nag finding
import { App, DefaultStackSynthesizer, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuthorizersStack } from '../lib/authorizers-stack';

const app = new App();
const codeDir = app.node.tryGetContext('codeDir') as string | undefined;
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? 'DescopeAuthorizers';

new AuthorizersStack(app, stackName, {
  code: codeDir ? { kind: 'directory', dir: codeDir } : { kind: 'parameters' },
  plantNagViolation: ['1', 'true'].includes(String(app.node.tryGetContext('plantNagViolation'))),
  // With S3 parameters the template needs no CDK bootstrap resources: it also deploys as a plain
  // CloudFormation template (aws cloudformation deploy). Assets (codeDir) need `cdk bootstrap`.
  synthesizer: codeDir ? undefined : new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
