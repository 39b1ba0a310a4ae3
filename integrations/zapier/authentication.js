'use strict';

const { apiUrl, dataOf } = require('./lib/api');

// GET /api/v1/auth: the key works and the organization's plan has Zapier (Pro or Agency).
const test = async (z, bundle) => dataOf(await z.request({ url: apiUrl(bundle, '/auth') }));

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'base_url',
      label: 'Finite server URL',
      type: 'string',
      required: true,
      helpText: "Your agency's Finite server, e.g. `https://handover.youragency.com`.",
    },
    {
      key: 'api_key',
      label: 'API key',
      type: 'password',
      required: true,
      helpText:
        'A handover API key (`fz_live_…`) with the **write** scope: `finite keys create` or ' +
        "Settings → Security. It is shown once; Finite keeps only its hash.",
    },
  ],
  test,
  connectionLabel: '{{bundle.inputData.organization.name}}',
};
