'use strict';

const { apiUrl, dataOf, filled } = require('../lib/api');

const FIELDS = [
  'project_name',
  'project_type',
  'launch_date',
  'client_id',
  'client_name',
  'client_email',
];

const perform = async (z, bundle) => {
  const response = await z.request({
    method: 'POST',
    url: apiUrl(bundle, '/zapier/actions/create-project'),
    body: filled(bundle.inputData, FIELDS),
  });
  return dataOf(response);
};

module.exports = {
  key: 'create_project',
  noun: 'Project',
  display: {
    label: 'Create Project',
    description:
      'Creates a handover project and its pack; the client is found by email (any case) or created.',
  },
  operation: {
    perform,
    inputFields: [
      { key: 'project_name', label: 'Project Name', required: true },
      {
        key: 'project_type',
        label: 'Project Type',
        required: true,
        helpText: "Picks the pack template, e.g. `Web Design`; unknown types get the default one.",
      },
      { key: 'launch_date', label: 'Launch Date', required: false, helpText: 'YYYY-MM-DD.' },
      { key: 'client_name', label: 'Client Name', required: false },
      {
        key: 'client_email',
        label: 'Client Email',
        required: false,
        helpText: 'With Client Name, for a new client; a client with this email is reused.',
      },
      {
        key: 'client_id',
        label: 'Client ID',
        required: false,
        helpText: 'An existing client, instead of Client Name and Client Email.',
      },
    ],
    sample: {
      id: 'project_01j0000000000000000000000',
      name: 'Website closeout',
      project_type: 'Web Design',
      launch_date: '2026-06-01',
      status: 'draft',
      client_id: 'client_01j0000000000000000000000',
      client_name: 'Jane Smith',
      client_email: 'jane@example.com',
      pack_id: 'pack_01j0000000000000000000000',
      created_at: '2026-05-27T12:00:00Z',
    },
  },
};
