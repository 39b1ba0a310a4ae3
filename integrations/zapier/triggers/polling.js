'use strict';

const { apiUrl, dataOf } = require('../lib/api');

// A polling trigger on GET /api/v1/zapier/triggers/<path>: newest first, each item with a
// stable id (Zapier deduplicates on it), at most 100.
const pollingTrigger = ({ key, path, noun, label, description, sample }) => ({
  key,
  noun,
  display: { label, description },
  operation: {
    type: 'polling',
    perform: async (z, bundle) =>
      dataOf(
        await z.request({
          url: apiUrl(bundle, `/zapier/triggers/${path}`),
          params: { limit: 100 },
        })
      ),
    sample,
  },
});

module.exports = { pollingTrigger };
