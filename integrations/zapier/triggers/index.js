'use strict';

const { pollingTrigger } = require('./polling');

const sample = (event) => ({
  id: 'event_01j0000000000000000000000',
  event,
  occurred_at: '2026-05-27T12:00:00Z',
  project_id: 'project_01j0000000000000000000000',
  project_name: 'Website closeout',
  client_name: 'Jane Smith',
  client_email: 'jane@example.com',
});

module.exports = [
  pollingTrigger({
    key: 'pack_sent',
    path: 'pack-sent',
    noun: 'Pack',
    label: 'Pack Sent',
    description: "Triggers when a handover pack is sent to a project's client.",
    sample: sample('pack.sent'),
  }),
  pollingTrigger({
    key: 'pack_viewed',
    path: 'pack-viewed',
    noun: 'Pack',
    label: 'Pack Viewed',
    description: 'Triggers when a client first opens their handover pack.',
    sample: sample('pack.viewed'),
  }),
  pollingTrigger({
    key: 'client_signed_off',
    path: 'client-signed-off',
    noun: 'Sign-off',
    label: 'Client Signed Off',
    description: 'Triggers when a client signs off a handover pack.',
    sample: sample('signoff.completed'),
  }),
];
