'use strict';

const { version } = require('./package.json');
const { version: platformVersion } = require('zapier-platform-core');

const authentication = require('./authentication');
const { addApiKey, explainErrors } = require('./lib/api');
const createProject = require('./creates/create_project');
const sendPack = require('./creates/send_pack');
const triggers = require('./triggers');

module.exports = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [explainErrors],
  triggers: Object.fromEntries(triggers.map((trigger) => [trigger.key, trigger])),
  creates: {
    [createProject.key]: createProject,
    [sendPack.key]: sendPack,
  },
};
