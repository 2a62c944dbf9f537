/** The custom editor's view type, as declared in package.json `contributes.customEditors`. */
export const OVERVIEW_VIEW_TYPE = 'subclone.modelOverview';
