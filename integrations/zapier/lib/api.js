'use strict';

// Where the agency's own Finite server is, from the connection (no trailing slash).
const baseUrl = (bundle) => String(bundle.authData.base_url || '').trim().replace(/\/+$/, '');

const apiUrl = (bundle, path) => `${baseUrl(bundle)}/api/v1${path}`;

// Every request carries the connection's API key (an fz_live_ key with write scope).
const addApiKey = (request, z, bundle) => {
  if (bundle.authData.api_key) {
    request.headers = request.headers || {};
    request.headers.Authorization = `Bearer ${bundle.authData.api_key}`;
  }
  return request;
};

// Finite answers failures as {data: null, error: {code, message, details}}: show the user
// its message and every field it names, instead of a bare status code.
const explainErrors = (response, z) => {
  if (response.status < 400) {
    return response;
  }
  let error = null;
  try {
    error = JSON.parse(response.content).error;
  } catch (notJson) {
    error = null;
  }
  const code = (error && error.code) || `HTTP_${response.status}`;
  let message = (error && error.message) || `Finite answered ${response.status}.`;
  const fields = ((error && error.details) || []).filter((d) => d.field);
  if (fields.length > 1) {
    message += ' ' + fields.map((d) => `${d.field}: ${d.message}`).join('; ');
  }
  if (response.status === 429) {
    // The plan's requests per minute: Zapier retries after Finite's Retry-After.
    const retryAfter = Number(response.getHeader('retry-after')) || 60;
    throw new z.errors.ThrottledError(message, retryAfter);
  }
  throw new z.errors.Error(message, code, response.status);
};

// The envelope's data, as Zapier expects it: an object for actions, an array for triggers.
const dataOf = (response) => response.data.data;

// Zapier sends optional fields the user left empty as "" (or not at all): send only the
// filled ones, so Finite's defaults and its "client_id or client_name and client_email"
// rule apply.
const filled = (inputData, keys) => {
  const body = {};
  for (const key of keys) {
    const value = inputData[key];
    if (value !== undefined && value !== null && String(value).trim() !== '') {
      body[key] = value;
    }
  }
  return body;
};

module.exports = { baseUrl, apiUrl, addApiKey, explainErrors, dataOf, filled };
