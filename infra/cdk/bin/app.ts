// The CDK app: one environment-agnostic stack (no account, no region, no lookups), so `cdk synth`
// runs offline and without AWS credentials. cdk-nag's AwsSolutions rules run on every synth, as a
// CDK policy validation plugin (cdk-nag 3): an unacknowledged finding fails the synth.
//
// Context values (-c NAME=VALUE):
//   codeDir=DIR          take the functions' zips from DIR/<package>/bootstrap.zip (e.g.
//                        ../../target/lambda after `make package`) instead of S3 parameters
//   sarApplicationId=ARN, sarVersion=X.Y.Z
//                        take the authorizers from the published SAR application instead
//   stackName=NAME       the stack's name (default DescopeAuthorizers)
//   plantNagViolation=1  check.sh's self-test only: one unacknowledged nag finding
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, DefaultStackSynthesizer, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AUTHORIZER_PACKAGES, AuthorizersStack, ConfigError, type CodeSource } from '../lib/authorizers-stack';

const app = new App();
const context = (name: string) => app.node.tryGetContext(name) as string | undefined;
const stackName = context('stackName') ?? 'DescopeAuthorizers';

let code: CodeSource;
try {
  code = codeSource();
} catch (error) {
  // A wrong -c value is the user's to fix: the message says how, a stack trace would bury it.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`infra/cdk: ${error.message}`);
  process.exit(1);
}

new AuthorizersStack(app, stackName, {
  code,
  plantNagViolation: ['1', 'true'].includes(String(context('plantNagViolation'))),
  // Without assets the template needs no CDK bootstrap resources: it also deploys as a plain
  // CloudFormation template (aws cloudformation deploy). Assets (codeDir) need `cdk bootstrap`.
  synthesizer: context('codeDir') ? undefined : new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
});

function codeSource(): CodeSource {
  const dir = context('codeDir');
  const applicationId = context('sarApplicationId');
  const version = context('sarVersion');
  if (dir && applicationId) {
    throw new ConfigError('Pass either -c codeDir or -c sarApplicationId, not both: they are two sources of the same functions.');
  }
  if (dir) {
    for (const pkg of AUTHORIZER_PACKAGES) {
      const zip = path.resolve(dir, pkg, 'bootstrap.zip');
      if (!fs.existsSync(zip)) {
        throw new ConfigError(
          `-c codeDir: ${zip} does not exist. Run \`make package\` at the repository root (it writes ` +
            'target/lambda/<package>/bootstrap.zip) and pass -c codeDir=<repository>/target/lambda.',
        );
      }
    }
    return { kind: 'directory', dir };
  }
  if (applicationId || version) {
    if (!applicationId || !/^arn:aws[a-z-]*:serverlessrepo:[a-z0-9-]+:\d{12}:applications\/[\w.-]+$/.test(applicationId)) {
      throw new ConfigError(
        `-c sarApplicationId=${applicationId ?? ''} is not a SAR application ARN ` +
          '(arn:aws:serverlessrepo:REGION:ACCOUNT:applications/NAME).',
      );
    }
    if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
      throw new ConfigError(`-c sarVersion=${version ?? ''} is not the application's semantic version (e.g. 0.1.0).`);
    }
    return { kind: 'sar', applicationId, version };
  }
  return { kind: 'parameters' };
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
