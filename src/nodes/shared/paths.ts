/** Path confinement lives in the core (the export folder and the version archive use it); nodes import it here. */
export { confinedPath } from '../../core/util/paths';
