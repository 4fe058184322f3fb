/** The suite's version, written into every report (a unit test keeps it equal to package.json). */
export const SUITE_VERSION = '1.0.0';
