// The interactive API reference (Scalar, served by the app): configured here so the page needs no inline script.
import { initialize } from '/scalar/scalar.aspnetcore.js';

initialize('%2Fscalar%2F', false, {
  _integration: 'dotnet',
  withDefaultFonts: false,
  // nothing that sends the document or the visitor elsewhere: Scalar's hosted AI chat, its toolbar of hosted
  // services (SDKs, deployment), its telemetry
  agent: { disabled: true },
  showToolbar: 'never',
  showDeveloperTools: 'never',
  telemetry: false,
  sources: [{ title: 'v1', url: '/openapi/v1.json' }],
}, '');
