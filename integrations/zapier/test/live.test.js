'use strict';

// The app against a live Finite server: FINITE_URL and FINITE_API_KEY (a handover key with
// write scope of an organization on Pro or Agency), as tests/integrations/test_zapier_app.py
// starts it. FINITE_ZAPIER_TRIGGERS=1 when the server has the polling triggers.
const zapier = require('zapier-platform-core');
const App = require('../index');

const appTester = zapier.createAppTester(App);
const url = process.env.FINITE_URL;
const key = process.env.FINITE_API_KEY;
const live = url && key ? describe : describe.skip;
const withTriggers = process.env.FINITE_ZAPIER_TRIGGERS === '1' ? live : describe.skip;
const authData = { base_url: `${url}/`, api_key: key };
const suffix = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
const email = `zap-${suffix}@client.example`;

const failure = async (promise) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

live('authentication', () => {
  it('accepts the key: GET /api/v1/auth', async () => {
    const auth = await appTester(App.authentication.test, { authData });
    expect(auth.authenticated).toBe(true);
    expect(auth.organization.name).toBeTruthy();
  });

  it('refuses a wrong key', async () => {
    const wrong = { ...authData, api_key: 'fz_live_notakey' };
    const error = await failure(appTester(App.authentication.test, { authData: wrong }));
    expect(error.message).toMatch(/Missing or invalid API key/);
  });
});

live('actions', () => {
  let project;

  it('creates a project with the seed fields', async () => {
    project = await appTester(App.creates.create_project.operation.perform, {
      authData,
      inputData: {
        project_name: 'Website closeout',
        client_name: 'Jane Smith',
        client_email: email,
        project_type: 'Web Design',
        launch_date: '2026-06-01',
        client_id: '', // left empty in the Zap: not sent
      },
    });
    expect(project.id).toMatch(/^project_/);
    expect(project.status).toBe('draft');
    expect(project.client_email).toBe(email);
  });

  it('reuses the client by email in any case, or takes its id', async () => {
    const again = await appTester(App.creates.create_project.operation.perform, {
      authData,
      inputData: {
        project_name: 'Phase 2',
        client_name: 'Jane Smith',
        client_email: email.toUpperCase(),
        project_type: 'SEO',
      },
    });
    const byId = await appTester(App.creates.create_project.operation.perform, {
      authData,
      inputData: { project_name: 'Phase 3', project_type: 'SEO', client_id: project.client_id },
    });
    expect(again.client_id).toBe(project.client_id);
    expect(byId.client_id).toBe(project.client_id);
  });

  it('names every bad field in snake_case', async () => {
    const error = await failure(
      appTester(App.creates.create_project.operation.perform, {
        authData,
        inputData: {
          project_name: 'Website',
          project_type: 'bell \u0007 inside',
          client_name: 'Jane',
          client_email: 'not an address',
        },
      })
    );
    expect(error.message).toMatch(/project_type: /);
    expect(error.message).toMatch(/client_email: /);
    expect(error.message).not.toMatch(/clientEmail/);
  });

  it('sends the pack', async () => {
    const sent = await appTester(App.creates.send_pack.operation.perform, {
      authData,
      inputData: { project_id: project.id, personal_message: 'The handover pack is ready.' },
    });
    expect(sent.id).toMatch(/^send_/);
    expect(sent.project_id).toBe(project.id);
    expect(sent.status).toBe('pack_sent');
    expect(sent.recipient_email).toBe(email);
  });

  it('answers an unknown project with 404', async () => {
    const error = await failure(
      appTester(App.creates.send_pack.operation.perform, {
        authData,
        inputData: { project_id: 'project_nobody' },
      })
    );
    expect(error.message).toMatch(/No project/);
  });

  withTriggers('pack sent (polling)', () => {
    it('lists the send, newest first, each with a unique id', async () => {
      const items = await appTester(App.triggers.pack_sent.operation.perform, { authData });
      expect(Array.isArray(items)).toBe(true);
      expect(items.length).toBeGreaterThan(0);
      expect(items.length).toBeLessThanOrEqual(100);
      const ids = items.map((item) => item.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(JSON.stringify(items[0])).toContain(project.id);
    });
  });
});

withTriggers('pack viewed and client signed off (polling)', () => {
  it('answer arrays of items with ids', async () => {
    for (const key of ['pack_viewed', 'client_signed_off']) {
      const items = await appTester(App.triggers[key].operation.perform, { authData });
      expect(Array.isArray(items)).toBe(true);
      expect(items.every((item) => typeof item.id === 'string' || typeof item.id === 'number')).toBe(true);
    }
  });
});
