/**
 * The Kubernetes API of `portchain up`: what the `up` command needs to serve it (see server.ts).
 */
export {
  ApiAddressError,
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  defaultKubeconfigPath,
  exportLine,
  parseApiAddress,
  userKubeconfigPath,
} from './address.js';
export { type ApiServer, type ApiServerOptions, type ApiUp, startApiServer } from './server.js';
