'use strict';

// The app definition is valid for Zapier (what `zapier validate` checks), without a server.
const schema = require('zapier-platform-core/src/tools/schema');
const App = require('../index');

describe('the app definition', () => {
  it('is valid for Zapier', () => {
    expect(schema.validateApp(schema.compileApp(App))).toEqual([]);
  });

  it('has the two actions with the fields Finite takes', () => {
    const keys = (create) => create.operation.inputFields.map((field) => field.key).sort();
    expect(keys(App.creates.create_project)).toEqual(
      ['client_email', 'client_id', 'client_name', 'launch_date', 'project_name', 'project_type'].sort()
    );
    expect(keys(App.creates.send_pack)).toEqual(['personal_message', 'project_id']);
  });

  it('has the three polling triggers', () => {
    expect(Object.keys(App.triggers).sort()).toEqual(
      ['client_signed_off', 'pack_sent', 'pack_viewed']
    );
  });
});
