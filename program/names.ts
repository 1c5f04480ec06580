/** Config namespace: keys are `dockfleet:<key>`. */
export const NAMESPACE = "dockfleet";
