import { it } from 'vitest';
import { check } from '../../src/check.js';
import { corpusUnits, readSource } from '../helpers/shared.js';
import { externalTrafficPolicyLocal } from '../../src/rules/external-traffic-policy-local.js';
import { hostPort } from '../../src/rules/host-port.js';
import { duplicateContainerPort } from '../../src/rules/duplicate-container-port.js';
import { hostNetworkPortClash } from '../../src/rules/host-network-port-clash.js';
import { networkPolicyBlocksService } from '../../src/rules/network-policy-blocks-service.js';
import { exposedAdminPort } from '../../src/rules/exposed-admin-port.js';

it('scratch', () => {
  const rules = [externalTrafficPolicyLocal, hostPort, duplicateContainerPort, hostNetworkPortClash, networkPolicyBlocksService, exposedAdminPort];
  for (const unit of corpusUnits()) {
    const r = check(unit.files.map(readSource), { rules });
    for (const f of r.findings) console.log(`${unit.name} | ${f.rule} | ${f.severity} | ${f.object?.kind}/${f.object?.name} | ${f.field} | ${f.location?.line} | ${f.message}`);
  }
});
