/** The importance panel's custom editor view type, as declared in package.json `contributes.customEditors`. */
export const IMPORTANCE_VIEW_TYPE = 'subclone.importanceReport';
