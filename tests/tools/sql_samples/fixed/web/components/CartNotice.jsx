// Lower-case prose that Postgres would parse: still not SQL.
export const CartNotice = ({ count }) => (
  <p aria-live="polite">
    {count === 0 ? 'delete from the cart to start over' : `select a file from the ${count} uploaded`}
  </p>
);
