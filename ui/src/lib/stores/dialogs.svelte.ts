// Whether one of the dialogs that open over any screen ("Use this mailbox", "Replace client secret…") has been asked
// for: App.svelte loads their code the first time (components/app/AppDialogs.svelte), not with the first screen.
export const dialogs = $state({ wanted: false });
