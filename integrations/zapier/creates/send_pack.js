'use strict';

const { apiUrl, dataOf, filled } = require('../lib/api');

const perform = async (z, bundle) => {
  const response = await z.request({
    method: 'POST',
    url: apiUrl(bundle, '/zapier/actions/send-pack'),
    body: filled(bundle.inputData, ['project_id', 'personal_message']),
  });
  return dataOf(response);
};

module.exports = {
  key: 'send_pack',
  noun: 'Pack',
  display: {
    label: 'Send Handover Pack',
    description:
      "Emails the project's client a link to their handover pack; sending again replaces the link.",
  },
  operation: {
    perform,
    inputFields: [
      {
        key: 'project_id',
        label: 'Project ID',
        required: true,
        helpText: 'The `id` from Create Project (or any project of yours).',
      },
      {
        key: 'personal_message',
        label: 'Personal Message',
        type: 'text',
        required: false,
        helpText: 'Shown to the client in the email.',
      },
    ],
    sample: {
      id: 'send_01j0000000000000000000000',
      project_id: 'project_01j0000000000000000000000',
      status: 'pack_sent',
      recipient_email: 'jane@example.com',
      personal_message: 'The handover pack is ready for review.',
      sent_at: '2026-05-27T12:00:00Z',
      mail_status: 'queued',
    },
  },
};
