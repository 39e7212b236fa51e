/**
 * Model downloads: friendly catalog names and {@code ms://} / {@code hf://} references resolved to files on
 * ModelScope (tried first) or Hugging Face, pulled resumably into a models directory and verified by SHA-256.
 * Nothing here records what was pulled; callers keep that themselves.
 */
package io.puhui.server.hub;
