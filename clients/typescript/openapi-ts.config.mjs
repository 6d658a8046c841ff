// @hey-api/openapi-ts: an SDK with the fetch client, from the repository's openapi.yaml.
export default {
  input: process.env.VERIFEYE_OPENAPI ?? '../../openapi.yaml',
  output: { path: 'src/generated/hey-api', importFileExtension: '.js' },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
};
