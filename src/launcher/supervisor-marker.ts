/** The word in a task supervisor's command line that names the launcher it serves (supervisor.ts). */
export const supervisorMarker = (leaseOwner: string) => `ferry-supervisor:${leaseOwner}`;
