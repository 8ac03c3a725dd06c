// A React component: UI prose that reads like SQL is not SQL.
import React, { useState } from 'react';

type Props = { images: { id: string; url: string }[]; onPick: (id: string) => void };

export function ImageReviewPicker({ images, onPick }: Props) {
  const [picked, setPicked] = useState<string | null>(null);
  const label = picked ? `Update the draft with ${picked}` : 'Select from the list';
  const help = 'Delete from the queue any image you do not want, then insert into the draft.';
  return (
    <div title="Select images FROM the review">
      <label htmlFor="picker">Select from the list below</label>
      <select id="picker" aria-label={label} onChange={(event) => { setPicked(event.target.value); onPick(event.target.value); }}>
        {images.map((image) => <option key={image.id} value={image.id}>{image.url}</option>)}
      </select>
      <p>{help}</p>
      <p>{'select an option from the menu'}</p>
      <button type="button">Update</button>
    </div>
  );
}
