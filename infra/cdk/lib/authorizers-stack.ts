// The Descope authorizers with example APIs, as infra/template.yaml deploys them with SAM: same
// parameters, same environment, roles that only write their own log groups. The function code is
// never built here: it is the zips `make package` builds, taken from S3 (parameters) or from a
// local directory (`-c codeDir=...`), or the published SAR application (`-c sarApplicationId=...`),
// so `cdk synth` needs no Rust toolchain.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Aws,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  CfnResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as appsync from 'aws-cdk-lib/aws-appsync';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sam from 'aws-cdk-lib/aws-sam';
import type { Construct } from 'constructs';
import { readTemplate } from './sam-template';

/** A setting of the app (a -c value) that cannot work; its message says what to do. */
export class ConfigError extends Error {}

/** The two authorizers: Cargo package (the zip's folder under target/lambda/) and what differs. */
const AUTHORIZERS = {
  apigateway: {
    id: 'ApiGatewayAuthorizer',
    package: 'apigateway-authorizer',
    description: 'Descope session authorizer for API Gateway (REST TOKEN/REQUEST, HTTP API 1.0/2.0)',
  },
  appsync: {
    id: 'AppSyncAuthorizer',
    package: 'appsync-authorizer',
    description: 'Descope session authorizer for AppSync (AWS_LAMBDA authorization)',
  },
} as const;
type AuthorizerKind = keyof typeof AUTHORIZERS;
/** The Cargo packages whose zips the functions run (`-c codeDir` holds `<package>/bootstrap.zip`). */
export const AUTHORIZER_PACKAGES: readonly string[] = Object.values(AUTHORIZERS).map((a) => a.package);

/** Where the functions' code comes from. */
export type CodeSource =
  /** CloudFormation parameters: a bucket and one key per zip (the default). */
  | { kind: 'parameters' }
  /** A directory laid out as `target/lambda`: `<package>/bootstrap.zip`, uploaded as CDK assets. */
  | { kind: 'directory'; dir: string }
  /**
   * The published SAR application of the authorizers alone (infra/sar/template.yaml), as a nested
   * stack: its functions, roles and log groups replace this stack's.
   */
  | { kind: 'sar'; applicationId: string; version: string };

export interface AuthorizersStackProps extends StackProps {
  readonly code: CodeSource;
  /**
   * check.sh's self-test only: adds one resource that breaks an AwsSolutions rule, not
   * acknowledged, so check.sh can prove that an unacknowledged nag finding fails the synth.
   */
  readonly plantNagViolation?: boolean;
}

/** The authorizers, an echo backend, and the REST, HTTP and GraphQL APIs wired to them. */
export class AuthorizersStack extends Stack {
  /** The bucket of the CodeBucket parameter (S3 code source only). */
  private codeBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: AuthorizersStackProps) {
    super(scope, id, props);
    this.templateOptions.description =
      'Descope session authorizers for API Gateway and AppSync (cognito-to-descope, CDK app), with ' +
      'example APIs: a REST API (TOKEN authorizer, cached), an HTTP API (payload 2.0, simple ' +
      'responses) and an AppSync GraphQL API (AWS_LAMBDA authorization).';

    const p = this.parameters();
    const tracingActive = new CfnCondition(this, 'TracingActive', {
      expression: Fn.conditionEquals(p.tracing.valueAsString, 'Active'),
    });
    // X-Ray from the parameter, for every function (as the SAM template's Globals): Active samples
    // and records the invocations, PassThrough (Lambda's default) follows an upstream sampling
    // decision. The roles get the X-Ray permissions under the same condition.
    const traced = (fn: lambda.Function) => {
      (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: p.tracing.valueAsString };
    };
    let cutover: CfnCondition | undefined; // only where used (an unused condition is a warning)
    const ifCutover = (param: CfnParameter) => {
      // The cutover's other settings reach the functions only with a pool: the functions refuse to
      // start with them set and no pool, so clearing CognitoUserPoolId alone ends the cutover.
      cutover ??= new CfnCondition(this, 'CutoverMode', {
        expression: Fn.conditionNot(Fn.conditionEquals(p.cognitoUserPoolId.valueAsString, '')),
      });
      return Fn.conditionIf(cutover.logicalId, param.valueAsString, '').toString();
    };
    const verifierEnvironment = () => ({
      DESCOPE_PROJECT_ID: p.descopeProjectId.valueAsString,
      DESCOPE_BASE_URL: p.descopeBaseUrl.valueAsString,
      DESCOPE_JWKS_URL: p.descopeJwksUrl.valueAsString,
      DESCOPE_ISSUERS: p.descopeIssuers.valueAsString,
      DESCOPE_AUDIENCE: p.descopeAudience.valueAsString,
      COGNITO_USER_POOL_ID: p.cognitoUserPoolId.valueAsString,
      COGNITO_CLIENT_IDS: ifCutover(p.cognitoClientIds),
      COGNITO_TOKEN_USE: ifCutover(p.cognitoTokenUse),
      COGNITO_ISSUER_FORMS: ifCutover(p.cognitoIssuerForms),
      COGNITO_REPLICA_REGIONS: ifCutover(p.cognitoReplicaRegions),
      AUTHZ_POLICY: p.authorizationPolicy.valueAsString,
    });

    const authorizer = (kind: AuthorizerKind, code: lambda.Code, extra: Record<string, string>) => {
      const spec = AUTHORIZERS[kind];
      const logGroup = this.ownLogGroup(`${spec.id}Logs`, spec.package, p.logRetentionDays);
      const role = this.roleWritingOnlyTo(`${spec.id}Role`, logGroup, tracingActive);
      const fn = new lambda.Function(this, `${spec.id}Function`, {
        description: spec.description,
        runtime: lambda.Runtime.PROVIDED_AL2023,
        architecture: lambda.Architecture.ARM_64,
        handler: 'bootstrap',
        code,
        memorySize: 128,
        // AppSync gives a Lambda authorizer 10 s; a verification takes microseconds, a cold key
        // fetch milliseconds.
        timeout: Duration.seconds(5),
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: { ...verifierEnvironment(), ...extra },
      });
      traced(fn);
      named({ [`${spec.id}Logs`]: logGroup, [`${spec.id}Role`]: role, [`${spec.id}Function`]: fn });
      return fn;
    };

    let apiGatewayAuthorizer: lambda.IFunction;
    let appSyncAuthorizer: lambda.IFunction;
    if (props.code.kind === 'sar') {
      [apiGatewayAuthorizer, appSyncAuthorizer] = this.fromSar(props.code, p);
    } else {
      const code = this.codeFor(props.code);
      // The one API Gateway function serves the REST API (IAM policies whatever this says: TOKEN
      // events have no simple form) and the HTTP API's simple responses.
      apiGatewayAuthorizer = authorizer('apigateway', code('apigateway'), { AUTHZ_SIMPLE_RESPONSES: 'true' });
      appSyncAuthorizer = authorizer('appsync', code('appsync'), {
        // ttlOverride takes precedence over the API's TTL: cap it with the same parameter.
        AUTHZ_MAX_TTL_SECONDS: p.authorizerCacheSeconds.valueAsString,
      });
    }
    const cacheTtl = Duration.seconds(p.authorizerCacheSeconds.valueAsNumber);

    // ------------------------------------------------------------ example backend
    // A minimal backend for the example APIs: echoes what the authorizer put in the request context.
    const echoLogs = this.ownLogGroup('EchoLogs', 'echo', p.logRetentionDays);
    const echo = new lambda.Function(this, 'EchoFunction', {
      description: 'Example backend that returns the authorizer context',
      runtime: lambda.Runtime.PYTHON_3_15,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      role: this.roleWritingOnlyTo('EchoRole', echoLogs, tracingActive),
      logGroup: echoLogs,
      code: lambda.Code.fromInline(
        [
          'import json',
          'def handler(event, context):',
          '    ctx = event.get("requestContext", {})',
          '    return {"statusCode": 200, "headers": {"content-type": "application/json"},',
          '            "body": json.dumps({"route": event.get("routeKey") or event.get("resource"),',
          '                                "authorizer": ctx.get("authorizer")})}',
        ].join('\n'),
      ),
    });
    traced(echo);

    // ------------------------------------------------------------ REST API (TOKEN authorizer)
    const restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `${Aws.STACK_NAME}-descope-rest`,
      deployOptions: { stageName: 'prod' },
      // API Gateway's CloudWatch role is an account-wide setting, not this stack's to change.
      cloudWatchRole: false,
      defaultMethodOptions: {
        authorizer: new apigateway.TokenAuthorizer(this, 'RestAuthorizer', {
          handler: apiGatewayAuthorizer,
          identitySource: apigateway.IdentitySource.header('Authorization'),
          // The returned policy covers the whole API and the context nothing of one request, so
          // one cached result serves every route (for up to AuthorizerCacheSeconds).
          resultsCacheTtl: cacheTtl,
        }),
      },
    });
    // No test-invoke permission: the echo backend is invoked by the API's stage only.
    const echoIntegration = new apigateway.LambdaIntegration(echo, { allowTestInvoke: false });
    restApi.root.addResource('me').addMethod('GET', echoIntegration);
    const items = restApi.root.addResource('items');
    items.addMethod('GET', echoIntegration);
    items.addResource('{id}').addMethod('ANY', echoIntegration);

    // ------------------------------------------------------------ HTTP API (payload 2.0)
    const httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${Aws.STACK_NAME}-descope-http`,
      defaultAuthorizer: new HttpLambdaAuthorizer('Descope', apiGatewayAuthorizer, {
        // SIMPLE means payload format 2.0 with {"isAuthorized": ...} answers.
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: ['$request.header.Authorization'],
        // A simple response answers for one route only: never cache it across routes.
        resultsCacheTtl: Duration.seconds(0),
      }),
    });
    const httpEcho = new HttpLambdaIntegration('Echo', echo);
    httpApi.addRoutes({ path: '/me', methods: [apigwv2.HttpMethod.GET], integration: httpEcho });
    httpApi.addRoutes({ path: '/items', methods: [apigwv2.HttpMethod.GET], integration: httpEcho });
    httpApi.addRoutes({ path: '/items/{id}', methods: [apigwv2.HttpMethod.ANY], integration: httpEcho });

    // ------------------------------------------------------------ AppSync (AWS_LAMBDA)
    const graphqlApi = new appsync.GraphqlApi(this, 'GraphQLApi', {
      name: `${Aws.STACK_NAME}-descope`,
      definition: appsync.Definition.fromFile(path.join(__dirname, 'schema.graphql')),
      authorizationConfig: {
        defaultAuthorization: {
          authorizationType: appsync.AuthorizationType.LAMBDA,
          lambdaAuthorizerConfig: {
            handler: appSyncAuthorizer,
            // The authorizer's ttlOverride never exceeds the token's remaining lifetime, and is 0
            // for a token denied a protected mutation: its resolver could otherwise run from a
            // cached answer.
            resultsCacheTtl: cacheTtl,
          },
        },
      },
    });
    const none = graphqlApi.addNoneDataSource('LocalOnly', { name: 'LocalOnly' });
    const resolver = (typeName: string, fieldName: string, request: string) =>
      none.createResolver(`${typeName}${fieldName}Resolver`, {
        typeName,
        fieldName,
        runtime: appsync.FunctionRuntime.JS_1_0_0,
        code: appsync.Code.fromInline(
          `export function request(ctx) { ${request} }\nexport function response(ctx) { return ctx.result; }\n`,
        ),
      });
    resolver('Query', 'me', 'return { payload: ctx.identity.resolverContext };');
    resolver('Query', 'items', 'return { payload: [{ id: "1", owner: ctx.identity.resolverContext.userId }] };');
    resolver(
      'Mutation',
      'updateItem',
      'return { payload: { id: ctx.args.id, owner: ctx.identity.resolverContext.userId } };',
    );

    named({ EchoLogs: echoLogs, EchoFunction: echo, RestApi: restApi, HttpApi: httpApi, GraphQLApi: graphqlApi });
    named({ EchoRole: echo.role! });
    this.exportsOutputs({ restApi, httpApi, graphqlApi, apiGatewayAuthorizer, appSyncAuthorizer });
    this.cutoverMetrics(props.code.kind === 'sar' ? SAR_NAMES : undefined);
    this.acknowledgeJustifiedFindings({ restApi, httpApi, graphqlApi, codeBucket: this.codeBucket });
    if (props.plantNagViolation) {
      // AwsSolutions-S1 (no server access logs) and S10 (no TLS-only policy): never acknowledged,
      // so the synth must fail.
      new s3.Bucket(this, 'PlantedNagViolation');
    }
  }

  /** The stack's parameters; those shared with infra/template.yaml are identical there (check.sh). */
  private parameters() {
    const text = (id: string, description: string, extra: Partial<ConstructorParameters<typeof CfnParameter>[2]> = {}) =>
      new CfnParameter(this, id, { type: 'String', default: '', description, ...extra });
    return {
      descopeProjectId: new CfnParameter(this, 'DescopeProjectId', {
        type: 'String',
        allowedPattern: '^[A-Za-z0-9_-]+$',
        description: 'The Descope project ID (P2...).',
      }),
      descopeBaseUrl: text(
        'DescopeBaseUrl',
        'Descope API host (regional or custom domain). Empty = derived from the project ID.',
      ),
      descopeJwksUrl: text('DescopeJwksUrl', 'Key set URL. Empty = <base>/v2/keys/<project>.'),
      descopeIssuers: text(
        'DescopeIssuers',
        'Comma-separated accepted iss values. Empty = every form Descope issues for the project.',
      ),
      descopeAudience: text(
        'DescopeAudience',
        'Comma-separated audiences; when set, aud is required and must contain one of them. Empty = ' +
          "Descope's SDK rule: a token that carries aud must name the project ID, one without aud passes.",
      ),
      cognitoUserPoolId: text(
        'CognitoUserPoolId',
        'Cutover mode: the Cognito user pool(s) whose tokens the authorizers still accept beside ' +
          "Descope's, comma-separated, each POOL or POOL=TENANT (as given to the importer). Empty = off; " +
          'clearing it later ends the cutover with nothing else to change.',
        { allowedPattern: '^([\\w-]+_[0-9a-zA-Z]+(=[^,]+)?)?(,\\s*[\\w-]+_[0-9a-zA-Z]+(=[^,]+)?)*$' },
      ),
      cognitoClientIds: text(
        'CognitoClientIds',
        'Cutover mode (required with a pool) - comma-separated app client IDs whose tokens are accepted.',
      ),
      cognitoTokenUse: text(
        'CognitoTokenUse',
        'Cutover mode (required with a pool) - which Cognito tokens clients send: access (AWS\'s ' +
          'recommendation for APIs), id (what Cognito authorizers accept by default) or both.',
        { allowedValues: ['', 'access', 'id', 'access,id'] },
      ),
      cognitoIssuerForms: text(
        'CognitoIssuerForms',
        "Cutover mode - which iss format the pools' tokens carry: original " +
          "(https://cognito-idp.<region>.amazonaws.com/<pool>, every pool's until it is switched), " +
          'updated (https://issuer-cognito-idp.<region>.amazonaws.com/<pool>) or both (while a pool ' +
          'switches). One value for every pool, or POOL=FORM entries with at most one bare value as the ' +
          'default of the others. Empty = original. Keys are fetched for the configured formats only.',
        {
          allowedPattern:
            '^((original|updated|both)|[\\w-]+_[0-9a-zA-Z]+=(original|updated|both))?(,\\s*((original|updated|both)|[\\w-]+_[0-9a-zA-Z]+=(original|updated|both)))*$',
        },
      ),
      cognitoReplicaRegions: text(
        'CognitoReplicaRegions',
        'Cutover mode - POOL=REGION entries (a pool may repeat) for replicated pools whose ' +
          "original-format tokens name the replica's region. Empty = none (the updated format always " +
          'names the primary region and needs none).',
        { allowedPattern: '^([\\w-]+_[0-9a-zA-Z]+=[a-z0-9-]+)?(,\\s*[\\w-]+_[0-9a-zA-Z]+=[a-z0-9-]+)*$' },
      ),
      authorizationPolicy: new CfnParameter(this, 'AuthorizationPolicy', {
        type: 'String',
        description:
          'The authorization policy document (JSON), shared by both authorizers: which Descope roles, ' +
          'tenant roles and permissions open which routes and GraphQL fields. See ' +
          'authorizers/apigateway/README.md and authorizers/appsync/README.md.',
        default: JSON.stringify(DEFAULT_POLICY),
      }),
      authorizerCacheSeconds: new CfnParameter(this, 'AuthorizerCacheSeconds', {
        type: 'Number',
        default: 60,
        minValue: 0,
        maxValue: 3600,
        description:
          'REST API and AppSync authorizer result cache, in seconds. A cached answer holds for the whole ' +
          'TTL: a role removed or a session revoked in Descope takes effect only when it runs out (API ' +
          "Gateway ignores the token's exp; AppSync's ttlOverride never outlives it). The answers are " +
          'built to be reused: the REST policy covers the whole API, the context carries nothing of one ' +
          'request, and AppSync answers that deny a protected mutation or subscription are not cached ' +
          'unless AUTHZ_RESOLVERS_ENFORCE_IDENTITY is set. Raise it for fewer authorizer calls, lower it ' +
          '(0 = off) for faster revocation.',
      }),
      logRetentionDays: new CfnParameter(this, 'LogRetentionDays', {
        type: 'Number',
        // A string, as AllowedValues are: cfn-lint compares them as written.
        default: '30',
        allowedValues: [
          1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
        ].map(String),
      }),
      tracing: new CfnParameter(this, 'Tracing', {
        type: 'String',
        default: 'PassThrough',
        allowedValues: ['Active', 'PassThrough'],
        description:
          'X-Ray tracing of the functions (their TracingConfig). Active: Lambda samples and records ' +
          'invocations itself, and the roles get xray:PutTraceSegments and xray:PutTelemetryRecords. ' +
          'PassThrough (Lambda\'s default): Lambda follows the sampling decision in the trace header an ' +
          "upstream service sent, and the roles get no X-Ray permission. Either way the authorizers' " +
          "decision log line carries the invocation's trace ID (xray_trace_id).",
      }),
    };
  }

  /**
   * The authorizers from the SAR application: the stack's parameters passed on (the SAR
   * template's names; check.sh compares them with infra/sar/template.yaml), the functions imported
   * from its outputs so the APIs below grant themselves the invoke permissions as usual.
   */
  private fromSar(
    source: Extract<CodeSource, { kind: 'sar' }>,
    p: ReturnType<AuthorizersStack['parameters']>,
  ): [lambda.IFunction, lambda.IFunction] {
    const application = new sam.CfnApplication(this, 'Authorizers', {
      location: { applicationId: source.applicationId, semanticVersion: source.version },
      parameters: {
        DescopeProjectId: p.descopeProjectId.valueAsString,
        DescopeBaseUrl: p.descopeBaseUrl.valueAsString,
        DescopeJwksUrl: p.descopeJwksUrl.valueAsString,
        DescopeIssuers: p.descopeIssuers.valueAsString,
        DescopeAudience: p.descopeAudience.valueAsString,
        CognitoUserPoolId: p.cognitoUserPoolId.valueAsString,
        CognitoClientIds: p.cognitoClientIds.valueAsString,
        CognitoTokenUse: p.cognitoTokenUse.valueAsString,
        CognitoIssuerForms: p.cognitoIssuerForms.valueAsString,
        CognitoReplicaRegions: p.cognitoReplicaRegions.valueAsString,
        AuthorizationPolicy: p.authorizationPolicy.valueAsString,
        // As above: the REST API gets IAM policies regardless, the HTTP API simple responses.
        ApiGatewaySimpleResponses: 'true',
        AppSyncMaxTtlSeconds: p.authorizerCacheSeconds.valueAsString,
        LogRetentionDays: p.logRetentionDays.valueAsString,
        Tracing: p.tracing.valueAsString,
      },
    });
    application.overrideLogicalId('Authorizers');
    const imported = (id: string, output: string) =>
      lambda.Function.fromFunctionAttributes(this, id, {
        functionArn: application.getAtt(`Outputs.${output}`).toString(),
        sameEnvironment: true,
      });
    return [
      imported('ApiGatewayAuthorizerFunction', 'ApiGatewayAuthorizerArn'),
      imported('AppSyncAuthorizerFunction', 'AppSyncAuthorizerArn'),
    ];
  }

  /** Code of one authorizer, by the chosen source. */
  private codeFor(source: Exclude<CodeSource, { kind: 'sar' }>): (kind: AuthorizerKind) => lambda.Code {
    if (source.kind === 'directory') {
      return (kind) => {
        const pkg = AUTHORIZERS[kind].package;
        const zip = path.resolve(source.dir, pkg, 'bootstrap.zip');
        if (!fs.existsSync(zip)) throw new ConfigError(`codeDir: ${zip} does not exist (make package writes it)`);
        return lambda.Code.fromAsset(zip);
      };
    }
    const bucket = new CfnParameter(this, 'CodeBucket', {
      type: 'String',
      allowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      description:
        'S3 bucket (in the stack\'s region) holding the zips `make package` builds ' +
        '(target/lambda/<package>/bootstrap.zip, arm64).',
    });
    const bucketRef = s3.Bucket.fromBucketName(this, 'CodeBucketRef', bucket.valueAsString);
    this.codeBucket = bucketRef;
    const keys = new Map<string, CfnParameter>();
    for (const spec of Object.values(AUTHORIZERS)) {
      keys.set(
        spec.package,
        new CfnParameter(this, `${spec.id}CodeKey`, {
          type: 'String',
          default: `${spec.package}/bootstrap.zip`,
          description: `S3 key of ${spec.package}'s bootstrap.zip in CodeBucket.`,
        }),
      );
    }
    return (kind) => lambda.Code.fromBucket(bucketRef, keys.get(AUTHORIZERS[kind].package)!.valueAsString);
  }

  private ownLogGroup(id: string, name: string, retention: CfnParameter): logs.LogGroup {
    return new logs.LogGroup(this, id, {
      logGroupName: `/descope/${Aws.STACK_NAME}/${name}`,
      retention: retention.valueAsNumber as logs.RetentionDays,
      // As with the SAM template: the example stack leaves nothing behind when deleted.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * A Lambda role that can only write its own log group and, with tracing on, send traces. The
   * X-Ray statement is an inline policy behind the TracingActive condition, so the permissions
   * exist before the function is created (Lambda checks them when tracing is Active) without a
   * dependency on a resource that may not exist.
   */
  private roleWritingOnlyTo(id: string, logGroup: logs.LogGroup, tracing: CfnCondition): iam.Role {
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        'write-own-logs': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    // The two X-Ray write actions support no resource-level permissions: Resource "*" is the only
    // form IAM accepts for them. cdk-nag reads no property override (nor Fn::If): parity.py checks
    // this statement instead.
    const xray = {
      PolicyName: 'write-traces',
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        ],
      },
    };
    (role.node.defaultChild as iam.CfnRole).addPropertyOverride(
      'Policies.1',
      Fn.conditionIf(tracing.logicalId, xray, Aws.NO_VALUE),
    );
    return role;
  }

  /**
   * The metric filters on the authorizers' decision log lines and the cutover dashboard, copied
   * from infra/template.yaml as they are: the stack gives the log groups and functions they name
   * the same logical IDs, so one definition serves both templates (see README.md "Ending the
   * cutover"). With the SAR source, whose log groups and functions are in the nested stack, their
   * names come from its outputs instead (`sar`: logical ID in the SAM template → output).
   */
  private cutoverMetrics(sar?: Record<string, string>) {
    const sam = readTemplate(path.join(__dirname, '..', '..', 'template.yaml'));
    const copied = new Set<string>();
    for (const [logicalId, resource] of Object.entries(sam.Resources)) {
      if (resource.Type !== 'AWS::Logs::MetricFilter' && resource.Type !== 'AWS::CloudWatch::Dashboard') continue;
      const { Type, Properties, ...rest } = resource;
      if (Object.keys(rest).length > 0) {
        throw new Error(`infra/template.yaml: ${logicalId} has ${Object.keys(rest).join(', ')}, which the CDK app does not copy`);
      }
      const properties = (sar ? fromOutputs(Properties, sar) : Properties) as Record<string, unknown>;
      new CfnResource(this, logicalId, { type: Type, properties }).overrideLogicalId(logicalId);
      copied.add(logicalId);
    }
    for (const [name, output] of Object.entries(sam.Outputs ?? {})) {
      if (JSON.stringify(output.Value).includes('AuthorizersDashboard') && !output.Condition) {
        new CfnOutput(this, name, { value: Token.asString(output.Value), description: output.Description?.trim() });
      }
    }
    if (copied.size === 0) throw new Error('infra/template.yaml has no metric filters or dashboard to copy');
  }

  private exportsOutputs(r: {
    restApi: apigateway.RestApi;
    httpApi: apigwv2.HttpApi;
    graphqlApi: appsync.GraphqlApi;
    apiGatewayAuthorizer: lambda.IFunction;
    appSyncAuthorizer: lambda.IFunction;
  }) {
    const out = (id: string, value: string, description?: string) =>
      new CfnOutput(this, id, { value, description });
    out('RestApiUrl', r.restApi.url, 'REST API (TOKEN authorizer); try GET /me with Authorization "Bearer <Descope session token>"');
    out('HttpApiUrl', r.httpApi.apiEndpoint, 'HTTP API (Lambda authorizer, payload 2.0, simple responses)');
    out('GraphQLUrl', r.graphqlApi.graphqlUrl, 'AppSync GraphQL endpoint (AWS_LAMBDA authorization)');
    out('ApiGatewayAuthorizerArn', r.apiGatewayAuthorizer.functionArn);
    out('AppSyncAuthorizerArn', r.appSyncAuthorizer.functionArn);
  }

  /**
   * cdk-nag findings that are choices of this example stack, each acknowledged where it occurs
   * with its reason (the same choices infra/.checkov.yaml explains for the SAM template). Any other
   * finding fails the synth.
   */
  private acknowledgeJustifiedFindings(r: {
    restApi: apigateway.RestApi;
    httpApi: apigwv2.HttpApi;
    graphqlApi: appsync.GraphqlApi;
    codeBucket?: s3.IBucket;
  }) {
    const ack = (scope: Construct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
    ack(
      r.restApi,
      'AwsSolutions-COG4',
      "The point of this stack: the methods are protected by the Descope Lambda authorizer (TOKEN), " +
        'not by a Cognito user pool authorizer; Cognito tokens are accepted only in cutover mode, by ' +
        'the same authorizer.',
    );
    ack(
      r.restApi,
      'AwsSolutions-APIG2',
      'The example routes take no body and no required parameters to validate; the authorizer checks ' +
        'the Authorization header before any route runs, and the echo backend only returns the ' +
        "authorizer's context.",
    );
    const logging =
      'Access and execution logging are the API owner\'s choice (they cost per request and may record ' +
      'callers\' details); REST API logging also needs the account-wide API Gateway CloudWatch role, ' +
      'which an example stack should not set. The authorizers log one decision line per request in ' +
      'their own log groups. Same choice as CKV_AWS_76/CKV_AWS_95 in infra/.checkov.yaml.';
    ack(r.restApi.deploymentStage, 'AwsSolutions-APIG1', logging);
    ack(r.restApi.deploymentStage, 'AwsSolutions-APIG6', logging);
    ack(r.httpApi.defaultStage!, 'AwsSolutions-APIG1', logging);
    ack(
      r.restApi.deploymentStage,
      'AwsSolutions-APIG3',
      'A WAF web ACL is the API owner\'s choice (and cost) for their own API; this example protects ' +
        'its routes with the Lambda authorizer. Same choice as CKV2_AWS_33 in infra/.checkov.yaml.',
    );
    ack(
      r.graphqlApi,
      'AwsSolutions-ASC3',
      'AppSync request logging needs a role with the AWS managed AWSAppSyncPushToCloudWatchLogs ' +
        'policy and is the API owner\'s choice; the AppSync authorizer logs one decision line per ' +
        'request in its own log group. Same choice as CKV_AWS_193 in infra/.checkov.yaml.',
    );
    if (r.codeBucket) {
      ack(
        r.codeBucket,
        'Annotation::@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified',
        'The code is addressed by key: a new build is uploaded under a new key (or the stack is ' +
          'updated with -c codeDir, which hashes the zips) and the *CodeKey parameter changed, which ' +
          'CloudFormation sees; see infra/cdk/README.md "Updating the code".',
      );
    }
  }
}

/** The SAM template's log groups and functions, and the SAR application's outputs naming them. */
const SAR_NAMES: Record<string, string> = {
  ApiGatewayAuthorizerLogs: 'ApiGatewayAuthorizerLogGroup',
  AppSyncAuthorizerLogs: 'AppSyncAuthorizerLogGroup',
  ApiGatewayAuthorizerFunction: 'ApiGatewayAuthorizerName',
  AppSyncAuthorizerFunction: 'AppSyncAuthorizerName',
};

/**
 * A copy of `value` in which a `Ref` to one of `outputs`' resources (their name) becomes the SAR
 * application's output, in `{"Ref": ...}` and in `Fn::Sub` strings (through Fn::Sub's variables).
 */
function fromOutputs(value: unknown, outputs: Record<string, string>): unknown {
  const output = (id: string) => ({ 'Fn::GetAtt': ['Authorizers', `Outputs.${outputs[id]}`] });
  if (Array.isArray(value)) return value.map((v) => fromOutputs(v, outputs));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[fn, arg]] = entries;
    if (fn === 'Ref' && typeof arg === 'string' && arg in outputs) return output(arg);
    if (fn === 'Fn::Sub' && typeof arg === 'string') {
      const used = Object.keys(outputs).filter((id) => arg.includes(`\${${id}}`));
      if (used.length > 0) return { 'Fn::Sub': [arg, Object.fromEntries(used.map((id) => [id, output(id)]))] };
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, fromOutputs(v, outputs)]));
}

/**
 * Gives the main resources the logical IDs infra/template.yaml gives them (CDK would add a hash),
 * so both templates read alike and check.sh can compare them resource by resource.
 */
function named(resources: Record<string, Construct>) {
  for (const [logicalId, construct] of Object.entries(resources)) {
    const resource = construct.node.defaultChild as CfnResource;
    resource.overrideLogicalId(logicalId);
    // A function's DependsOn on its role repeats what its Role GetAtt already says (cfn-lint W3005).
    if (resource instanceof lambda.CfnFunction) resource.addDeletionOverride('DependsOn');
  }
}

/** The example policy, the same as infra/template.yaml's AuthorizationPolicy default. */
const DEFAULT_POLICY = {
  version: 1,
  apigateway: {
    authenticated: ['GET /me'],
    roles: {
      admin: ['* /*'],
      editor: ['GET /items', 'GET /items/*', 'PUT /items/*'],
      viewer: ['GET /items', 'GET /items/*'],
    },
  },
  appsync: {
    authenticated: ['Query.me'],
    roles: {
      admin: ['Query.items', 'Mutation.updateItem', 'Item.owner'],
      editor: ['Query.items', 'Mutation.updateItem'],
      viewer: ['Query.items'],
    },
  },
};
