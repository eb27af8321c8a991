import assert from 'node:assert/strict';
import { incompatibility } from '../../../../activities/training/champion-comparison';
import { featureSchemaSchema, type FeatureSchema } from '../../../../common/schemas/feature-schema';

const schema = (features: string[], label = 'Price'): FeatureSchema =>
  featureSchemaSchema.parse({ schemaVersion: 1, label: { name: label, type: 'float' }, features: features.map((name) => ({ name, type: 'float' })) });

describe('activities/training/champion-comparison: can the champion score the new rows?', () => {
  it('when label and features match in order, then it can', () => {
    assert.equal(incompatibility(schema(['Mileage', 'Cylinder']), schema(['Mileage', 'Cylinder']), 3), undefined);
  });

  it('when features are missing, added or reordered, or the label differs, then the reason names what differs', () => {
    assert.match(incompatibility(schema(['Mileage', 'Cylinder']), schema(['Mileage', 'Doors']), 3)!, /without Cylinder and with new Doors/);
    assert.match(incompatibility(schema(['Mileage', 'Cylinder']), schema(['Cylinder', 'Mileage']), 3)!, /in another order/);
    assert.match(incompatibility(schema(['Mileage']), schema(['Mileage'], 'Cost'), 3)!, /predicts 'Price' and the new data's label is 'Cost'/);
  });
});
