/** RecencyList lives in core/util (the LRU map and the anomaly session use it too); this path still works. */
export { RecencyLink, RecencyList } from '../util/recency';
