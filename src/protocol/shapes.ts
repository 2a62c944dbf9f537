/** Destination shapes, as the extension and the webviews share them: the engine's own (src/core/subclone/targetShape.ts). */
export * from '../core/subclone/targetShape';
