import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { listenForUiState } from './use-ui-state.js';
import './styles.css';

// Before rendering: the state already held by the preload arrives in a microtask, ahead of React's first
// render (a later task), so that render shows the window itself.
listenForUiState();
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
