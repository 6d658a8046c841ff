// The short flow with openapi-fetch and the types openapi-typescript generated with its default
// settings: each request is written as a user would, leaving out what has a server default.
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';
import { apiKey, baseUrl, check, healthzPattern } from './env.js';

type Schemas = components['schemas'];

const client = createClient<paths>({ baseUrl, headers: { Authorization: `ApiKey ${apiKey}` } });

// Partial requests: the fields with a server default are optional.
const settings: Schemas['SecuritySettings'] = { enableNonce: true, expirationInSeconds: 900 };
const config: Schemas['VerificationConfig'] = {
  verifierConfigs: {
    liveness: { type: 'Verification' },
    age: { type: 'ThresholdVerification', threshold: 18 },
  },
  resultParameterConfig: { includeAge: true },
};

const signed = await client.POST('/v1/signature/create', {
  body: { queryString: 'userId=42', securitySettings: settings },
});
check(signed.response.status === 200 && signed.data !== undefined, 'sign: 200');
const signedQuery: string = signed.data?.signedQueryString ?? '';
check(/&reNonce=[0-9a-f]{32}&reSignature=[0-9a-f]{64}$/.test(signedQuery), 'sign: reNonce and reSignature appended');

const validated = await client.POST('/v1/signature/validate', { body: { queryString: signedQuery } });
check(validated.data?.result === 'Valid', 'validate: Valid');

const name = `typescript-flow-${Date.now()}`;
const created = await client.POST('/v1/verification/create', { body: { name, verificationConfig: config } });
const verificationId = created.data?.verificationId;
check(created.response.status === 200 && verificationId !== undefined, 'create: 200 with an id');

const got = await client.GET('/v1/verification/get', { params: { query: { verificationId: verificationId ?? '' } } });
const stored = got.data?.verification.verificationConfig;
// The answer's defaulted fields are present: plain booleans, no undefined to handle.
const includeSignature: boolean | undefined = stored?.resultParameterConfig.includeSignature;
const forceSignedInput: boolean | undefined = stored?.securityConfig.forceSignedInput;
check(got.data?.verification.name === name, 'get: the name reads back');
check(includeSignature === true && forceSignedInput === true, 'get: defaults filled in (includeSignature, forceSignedInput)');
check(stored?.verifierConfigs?.liveness?.challengeType === 'Balanced', 'get: challengeType defaults to Balanced');

const session = await client.POST('/v1/verification/create-session', { body: { name } });
const sessionId = session.data?.verificationSessionId;
check(session.response.status === 200 && sessionId !== undefined, 'create-session: 200 with an id');

const result = await client.GET('/v1/verification/get-session-result', {
  params: { query: { verificationSessionId: sessionId ?? '' } },
});
check(result.data?.verificationResult === 'Pending', 'get-session-result: Pending before the session ends');

// healthz answers text/plain: read it as text.
const health = await client.GET('/v1/healthz', { parseAs: 'text' });
check(health.response.status === 200 && healthzPattern.test(health.data ?? ''), 'healthz: the time as text');

const denied = await createClient<paths>({ baseUrl }).GET('/v1/verification/get-all');
check(denied.response.status === 401 && denied.error?.status === 401, 'no credentials: 401 problem');
