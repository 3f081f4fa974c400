/** Names that the real node, the chart's local profile and the suites agree on. */

/** The real node's name (kwok's fake node is kwok-node-0). */
export const REAL_NODE_NAME = 'real-node-0';

/**
 * Its taint: only pods that tolerate it land there, so every suite written for kwok keeps kwok's
 * behaviour, and the pods that must really run (the chart's local profile, test agents) opt in.
 */
export const REAL_NODE_TAINT = {
  key: 'thurkube.thurbeen.eu/real-node',
  value: 'true',
  effect: 'NoSchedule',
} as const;

/** A label with the same key, for nodeSelectors. */
export const REAL_NODE_LABEL = { [REAL_NODE_TAINT.key]: 'true' };

/** The toleration and node selector a pod needs to run there. */
export const REAL_NODE_SCHEDULING = {
  nodeSelector: REAL_NODE_LABEL,
  tolerations: [{ ...REAL_NODE_TAINT, operator: 'Equal' }],
};

/** The pod sandbox image, built here (dev/cluster/go/pause) and imported into the node's containerd. */
export const PAUSE_IMAGE = 'localhost/thurkube-pause:dev';
